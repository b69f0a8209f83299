// The agent's own audit trail: one JSON line per apply, bake and doctor run, in a file the
// CloudWatch fragment ships (journald keeps the full logs; this is what an auditor asks for).
import type { Root } from "../nodefs/root.js";
import { scrubSecrets } from "../log.js";

export const RUN_LOG_PATH = "/var/log/pwb-agent/runs.jsonl";
/** Past this size the file moves to runs.jsonl.1 (replacing the previous one) before the next line. */
export const RUN_LOG_MAX_BYTES = 10 * 1024 * 1024;

export interface RunLogEntry {
  command: "apply" | "bake" | "doctor";
  role: string;
  success: boolean;
  durationMs: number;
  /** apply: ids of the resources it changed; doctor: ids of the checks that failed. */
  items: string[];
  error?: string | null;
}

/**
 * Appends one line with one O_APPEND write (Root.appendLine), so concurrent writers never
 * interleave within a line; rotation is a rename, atomic too.
 */
export async function appendRunLog(root: Root, entry: RunLogEntry, now = Date.now()): Promise<void> {
  const size = (await root.stat(RUN_LOG_PATH))?.size ?? 0;
  if (size > RUN_LOG_MAX_BYTES) await root.rename(RUN_LOG_PATH, `${RUN_LOG_PATH}.1`);
  const line = scrubSecrets(JSON.stringify({ time: new Date(now).toISOString(), ...entry, items: entry.items.slice(0, 500) }));
  await root.appendLine(RUN_LOG_PATH, line, { mode: 0o640 });
}
