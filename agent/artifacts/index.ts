import type { Logger } from "../log.js";
import { mapLimit } from "../map-limit.js";
import { DEFAULT_POLICY, fetchFile, type FetchOutcome, type FetchPolicy, type FetchTarget } from "./fetch.js";
import { Progress } from "./progress.js";

export type { FetchOutcome, FetchPolicy, FetchTarget } from "./fetch.js";

/** Downloads in flight at once: enough to hide per-request latency and per-connection limits. */
export const DEFAULT_CONCURRENCY = 8;

export interface FetchAllOptions {
  log: Logger;
  /** Downloads in flight at once. */
  concurrency?: number;
  policy?: FetchPolicy;
  /** A terminal to draw progress bars on; null logs a summary line periodically instead. */
  tty?: NodeJS.WriteStream | null;
}

export interface FetchAllReport {
  outcomes: Record<string, FetchOutcome>;
  durationMs: number;
}

/** Fetches every target (cache hits cost a hash, nothing else), at most `concurrency` at a time. */
export async function fetchAll(targets: FetchTarget[], o: FetchAllOptions): Promise<FetchAllReport> {
  const t0 = performance.now();
  const progress = new Progress(o.log, o.tty ?? null);
  progress.start(targets.map((t) => t.name));
  try {
    const outcomes = await mapLimit(targets, o.concurrency ?? DEFAULT_CONCURRENCY, async (t) => {
      const outcome = await fetchFile(t, o.log, o.policy ?? DEFAULT_POLICY, {
        onProgress: (name, received, total) => progress.update(name, received, total),
      });
      progress.finish(t.name);
      if (outcome !== "cached") o.log.info({ artifact: t.name, outcome }, "artifact fetched");
      return [t.name, outcome] as const;
    });
    return { outcomes: Object.fromEntries(outcomes), durationMs: Math.round(performance.now() - t0) };
  } finally {
    progress.stop();
  }
}
