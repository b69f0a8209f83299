// The agent's own audit trail: one JSON line per apply, bake and doctor run, in a file the
// CloudWatch fragment ships (journald keeps the full logs; this is what an auditor asks for).
import { promises as fs } from "node:fs";
import path from "node:path";
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
 * Appends one line. A line is written with one O_APPEND write, so concurrent writers never interleave
 * within a line and a reader never sees half of one; rotation is a rename, atomic too.
 */
export async function appendRunLog(root: Root, entry: RunLogEntry, now = Date.now()): Promise<void> {
  const file = await root.confined(RUN_LOG_PATH, { followLeaf: false });
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const size = await fs.stat(file).then((s) => s.size, () => 0);
  if (size > RUN_LOG_MAX_BYTES) await fs.rename(file, `${file}.1`);
  const line = scrubSecrets(JSON.stringify({ time: new Date(now).toISOString(), ...entry, items: entry.items.slice(0, 500) }));
  await fs.appendFile(file, line + "\n", { mode: 0o640 });
}
