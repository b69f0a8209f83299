// What one alb-sync run is told: the cluster, the Workbench target group, the guard, where state lives.
import type { Root } from "../../nodefs/root.js";
import type { Logger } from "../../log.js";
import type { AwsClientOptions } from "../aws/sdk.js";
import type { GuardPolicy } from "./reconcile.js";

export interface AlbSyncOptions {
  root: Root;
  cluster: string;
  region: string;
  log: Logger;
  /** Workbench target group, found by this name and its `pwb:cluster-name` tag (AlbSettings.targetGroupName). */
  targetGroupName: string;
  /** Use this target group as is (no lookup, no tag check). */
  targetGroupArn?: string;
  /** Login pools named by the operator; unset: the cluster configuration, else discovery by tags. */
  pools?: string[];
  /** Workbench's port on the login nodes (AlbSettings.targetPort). */
  targetPort?: number;
  policy?: GuardPolicy;
  statePath?: string;
  /** Prometheus textfile; null: none; unset: METRICS_FILE where the node's exporter reads textfiles. */
  metricsPath?: string | null;
  /** The site's telemetry.textfileDirectory (where metricsPath is unset). */
  textfileDirectory?: string | undefined;
  lockPath?: string;
  /** How long to wait for another run's lock before leaving without changing anything. */
  lockTimeoutMs?: number;
  /** Read and decide, change nothing (AWS, state, metrics). */
  dryRun?: boolean;
  aws?: Omit<AwsClientOptions, "region">;
  /** The whole tick ends by then (the unit's TimeoutStartSec is 24 s). */
  deadlineMs?: number;
  /** How long pools discovered through the API are trusted before the next scan. */
  discoveryTtlMs?: number;
  now?: () => number;
}
