/**
 * Workbench version strings: `2024.12.1+563.pro5` (releases), `2025.12.0-daily-286.pro1` (dailies).
 * Only year.month.patch decides which keys a version understands.
 */
export interface WorkbenchVersion {
  year: number;
  month: number;
  patch: number;
}

export const WORKBENCH_VERSION_PATTERN = /^(\d{4})\.(\d{2})\.(\d+)(?:[+-][0-9A-Za-z.+-]+)?$/;

/** The oldest Workbench pwb-agent renders for: explicit `load-balancing-enabled`, cluster-wide launcher settings. */
export const OLDEST_SUPPORTED = "2023.09.0";

export function parseWorkbenchVersion(text: string): WorkbenchVersion | null {
  const m = WORKBENCH_VERSION_PATTERN.exec(text.trim());
  if (!m) return null;
  return { year: Number(m[1]), month: Number(m[2]), patch: Number(m[3]) };
}

/** True when `v` is the same as or newer than `than` ("2024.09.0"). */
export function atLeast(v: WorkbenchVersion, than: string): boolean {
  const t = parseWorkbenchVersion(than);
  if (!t) throw new Error(`not a Workbench version: ${than}`);
  if (v.year !== t.year) return v.year > t.year;
  if (v.month !== t.month) return v.month > t.month;
  return v.patch >= t.patch;
}

/** Workbench package file names use `-` where the version has `+`. */
export function versionForFileName(text: string): string {
  return text.replace(/\+/g, "-");
}
