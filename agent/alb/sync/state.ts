// What alb-sync remembers between ticks (each tick is a new process): cached ARNs, the guard's
// streak, counters for the metrics. One JSON file, written atomically; a broken one is ignored.
import type { Root } from "../../nodefs/root.js";
import type { Logger } from "../../log.js";
import { FRESH_GUARD, type GuardState } from "./reconcile.js";

export const STATE_PATH = "/var/lib/pwb-agent/alb-sync.json";
export const LOCK_PATH = "/run/pwb-agent/alb-sync.lock";
/** alb-sync's textfile, in the directory the node's exporter reads (agent/metrics/textfile-dir.ts). */
export const METRICS_FILE = "pwb_alb_sync.prom";

const VERSION = 1;

export interface Counters {
  ticks: number;
  failedTicks: number;
  apiCalls: number;
  apiErrors: number;
  throttled: number;
  registered: number;
  deregistered: number;
  /** Reads answered short and not acted on. */
  untrustedReads: number;
}

export interface SyncState {
  version: typeof VERSION;
  cluster: string;
  region: string;
  /** Login pool → its NLB target group, and how it was found. */
  pools: Record<string, { targetGroupArn: string; via: "name" | "tags" }>;
  /** Pools found through the API when neither flags nor the cluster config name them. */
  discoveredPools: { names: string[]; at: number } | null;
  workbench: { targetGroupName: string; targetGroupArn: string } | null;
  /** Targets on Workbench's port in that group after the last trusted tick's changes (null: not known yet). */
  workbenchTargets: { targetGroupArn: string; count: number } | null;
  guard: GuardState;
  lastRun: number | null;
  lastSuccess: number | null;
  consecutiveFailures: number;
  counters: Counters;
}

const ZERO: Counters = { ticks: 0, failedTicks: 0, apiCalls: 0, apiErrors: 0, throttled: 0, registered: 0, deregistered: 0, untrustedReads: 0 };

export function freshState(cluster: string, region: string, counters: Counters = ZERO): SyncState {
  return {
    version: VERSION,
    cluster,
    region,
    pools: {},
    discoveredPools: null,
    workbench: null,
    workbenchTargets: null,
    guard: FRESH_GUARD,
    lastRun: null,
    lastSuccess: null,
    consecutiveFailures: 0,
    counters: { ...counters },
  };
}

function isState(v: unknown): v is SyncState {
  const s = v as SyncState;
  return (
    typeof s === "object" && s !== null && s.version === VERSION && typeof s.cluster === "string" && typeof s.region === "string" &&
    typeof s.pools === "object" && s.pools !== null && typeof s.guard === "object" && s.guard !== null &&
    typeof s.counters === "object" && s.counters !== null
  );
}

/**
 * The saved state for this cluster and region. Anything else (missing, unreadable, another version,
 * another cluster) starts fresh: the cache is an optimisation and the guard errs on the side of waiting.
 */
export async function loadState(root: Root, path: string, cluster: string, region: string, log: Logger): Promise<SyncState> {
  let text: string | null;
  try {
    text = await root.readText(path);
  } catch (e) {
    log.warn({ file: path, err: (e as Error).message }, "cannot read the alb-sync state; starting fresh");
    return freshState(cluster, region);
  }
  if (text === null) return freshState(cluster, region);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    log.warn({ file: path }, "alb-sync state is not valid JSON; starting fresh");
    return freshState(cluster, region);
  }
  if (!isState(parsed)) {
    log.warn({ file: path }, "alb-sync state has an unknown shape; starting fresh");
    return freshState(cluster, region);
  }
  if (parsed.cluster !== cluster || parsed.region !== region) {
    log.info({ file: path, was: `${parsed.cluster}/${parsed.region}` }, "alb-sync state belongs to another cluster or region; starting fresh");
    return freshState(cluster, region, { ...ZERO, ...parsed.counters });
  }
  return { ...freshState(cluster, region), ...parsed, counters: { ...ZERO, ...parsed.counters } };
}

export async function saveState(root: Root, path: string, state: SyncState): Promise<void> {
  await root.writeAtomic(path, JSON.stringify(state, null, 2) + "\n", { mode: 0o644 });
}
