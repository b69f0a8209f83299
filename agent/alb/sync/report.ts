// What one alb-sync tick did, for the CLI (--json), the tests and the benchmark.
import type { PoolSource } from "./pools.js";
import type { TargetChange } from "./reconcile.js";

export type SyncOutcome = "in-sync" | "changed" | "failed" | "locked" | "no-pools" | "dry-run";

export interface PoolReport {
  pool: string;
  targetGroupArn: string | null;
  via?: "cache" | "name" | "tags";
  targets: number | null;
  error?: string;
}

export interface AlbSyncReport {
  outcome: SyncOutcome;
  cluster: string;
  region: string;
  poolSource: PoolSource | null;
  pools: PoolReport[];
  workbenchTargetGroupArn: string | null;
  desired: string[];
  actual: string[];
  registered: TargetChange[];
  deregistered: TargetChange[];
  held: TargetChange[];
  blocked: TargetChange[];
  blockReasons: string[];
  failures: string[];
  /** Of the failures, reads that answered short (not errors): fewer pools, an empty group, a cut-off listing. */
  untrustedReads: number;
  drift: number;
  apiCalls: number;
  durationMs: number;
}

export function emptyReport(o: { cluster: string; region: string }): AlbSyncReport {
  return {
    outcome: "in-sync", cluster: o.cluster, region: o.region, poolSource: null, pools: [], workbenchTargetGroupArn: null,
    desired: [], actual: [], registered: [], deregistered: [], held: [], blocked: [], blockReasons: [], failures: [], untrustedReads: 0,
    drift: 0, apiCalls: 0, durationMs: 0,
  };
}
