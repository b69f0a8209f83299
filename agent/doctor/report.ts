import type { CheckResult } from "./checks.js";

const LABEL = { ok: "ok", fail: "FAIL", skipped: "skipped", warn: "warn" } as const;

export function doctorFailed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === "fail");
}

/** One row per check, aligned, with what to do under a failure or warning; a closing line with the verdict. */
export function renderDoctorTable(results: readonly CheckResult[], role: string): string {
  const nameW = Math.max(5, ...results.map((r) => r.name.length));
  const lines = [`${"CHECK".padEnd(nameW)}  STATUS   DETAIL`];
  for (const r of results) {
    lines.push(`${r.name.padEnd(nameW)}  ${LABEL[r.status].padEnd(7)}  ${r.detail}`);
    if (r.fix && (r.status === "fail" || r.status === "warn")) lines.push(`${" ".repeat(nameW)}  ${"".padEnd(7)}  → ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === "fail").length;
  const skippedN = results.filter((r) => r.status === "skipped").length;
  lines.push(
    "",
    failed
      ? `${failed} of ${results.length} checks failed on this ${role} node.`
      : `All ${results.length - skippedN} checks passed on this ${role} node${skippedN ? ` (${skippedN} skipped)` : ""}.`,
  );
  return lines.join("\n") + "\n";
}

export function doctorJson(results: readonly CheckResult[], role: string, simulated: boolean) {
  return { role, simulated, ok: !doctorFailed(results), checks: results };
}
