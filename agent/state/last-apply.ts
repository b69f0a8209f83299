// What the last apply did, kept on the node: doctor's "last apply" check and the apply metrics read it.
import type { Root } from "../nodefs/root.js";
import type { ApplyReport } from "../engine/types.js";

export const APPLY_RECORD_PATH = "/var/lib/pwb-agent/last-apply.json";

export interface ApplyRecord {
  /** When the last apply ended (ms since the epoch). */
  finishedAt: number;
  success: boolean;
  durationMs: number;
  /** Resources that differed when it started (the drift it found). */
  planned: number;
  /** Resources it changed. */
  changes: number;
  /** Packages it installed or changed (on a baked AMI, 0 at boot is the goal). */
  packages: number;
  /** Why it failed (already scrubbed of secrets). */
  error: string | null;
  lastSuccessAt: number | null;
  /** Cumulative since the node was built. */
  runs: number;
  failures: number;
}

export async function readApplyRecord(root: Root): Promise<ApplyRecord | null> {
  const text = await root.readText(APPLY_RECORD_PATH).catch(() => null);
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Partial<ApplyRecord>;
    return typeof r.finishedAt === "number" && typeof r.success === "boolean" ? (r as ApplyRecord) : null;
  } catch {
    return null;
  }
}

/** The record after one more apply: its outcome, on top of the counters of the one before. */
export function nextApplyRecord(
  previous: ApplyRecord | null,
  outcome: { finishedAt: number; durationMs: number; report: ApplyReport | null; planned: number; error: string | null },
): ApplyRecord {
  const success = outcome.report !== null && outcome.error === null;
  const report = outcome.report;
  return {
    finishedAt: outcome.finishedAt,
    success,
    durationMs: outcome.durationMs,
    planned: outcome.planned,
    changes: report?.changes ?? 0,
    packages: report?.applied.filter((a) => a.id.startsWith("package:")).length ?? 0,
    error: outcome.error,
    lastSuccessAt: success ? outcome.finishedAt : (previous?.lastSuccessAt ?? null),
    runs: (previous?.runs ?? 0) + 1,
    failures: (previous?.failures ?? 0) + (success ? 0 : 1),
  };
}

export async function writeApplyRecord(root: Root, record: ApplyRecord): Promise<void> {
  await root.writeAtomic(APPLY_RECORD_PATH, JSON.stringify(record, null, 2) + "\n", { mode: 0o644 });
}
