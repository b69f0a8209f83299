// The sync's state as a Prometheus textfile (node_exporter's textfile collector reads *.prom).
import type { Root } from "../../nodefs/root.js";
import { MetricsText, seconds } from "../../metrics/textfile.js";
import type { SyncState } from "./state.js";

/** What the last tick saw, beside the cumulative counters of the state. */
export interface TickMetrics {
  success: boolean;
  durationMs: number;
  apiCalls: number;
  desired: number;
  actual: number;
  drift: number;
  held: number;
  blocked: number;
}

export function renderMetrics(state: SyncState, tick: TickMetrics): string {
  const m = new MetricsText();
  const c = state.counters;
  m.gauge("pwb_alb_sync_info", "Cluster and region this sync serves.", [[{ cluster: state.cluster, region: state.region }, 1]]);
  m.gauge("pwb_alb_sync_last_run_timestamp_seconds", "When the last tick ended.", seconds(state.lastRun));
  m.gauge("pwb_alb_sync_last_success_timestamp_seconds", "When a tick last read every target group and applied its changes (0: never).", seconds(state.lastSuccess));
  m.gauge("pwb_alb_sync_last_run_success", "1 when the last tick succeeded.", tick.success ? 1 : 0);
  m.gauge("pwb_alb_sync_consecutive_failures", "Failed ticks since the last success.", state.consecutiveFailures);
  m.gauge("pwb_alb_sync_tick_duration_seconds", "Wall time of the last tick.", tick.durationMs / 1000);
  m.gauge("pwb_alb_sync_api_calls_last_tick", "AWS API requests of the last tick, retries included.", tick.apiCalls);
  m.gauge("pwb_alb_sync_desired_targets", "Login nodes the NLB target groups want behind the ALB.", tick.desired);
  m.gauge("pwb_alb_sync_registered_targets", "Targets in the Workbench target group on Workbench's port.", tick.actual);
  m.gauge("pwb_alb_sync_drift_targets", "Targets that differed from the desired state at the start of the last tick.", tick.drift);
  m.gauge("pwb_alb_sync_held_deregistrations", "Removals held back by the share guard, awaiting confirmation.", tick.held);
  m.gauge("pwb_alb_sync_blocked_deregistrations", "Removals not considered because a read failed or came back empty.", tick.blocked);
  m.counter("pwb_alb_sync_ticks_total", "Ticks run.", c.ticks);
  m.counter("pwb_alb_sync_failed_ticks_total", "Ticks that failed.", c.failedTicks);
  m.counter("pwb_alb_sync_untrusted_reads_total", "Reads answered short (fewer pools, an empty target group, a listing cut off) and not acted on.", c.untrustedReads);
  m.counter("pwb_alb_sync_api_calls_total", "AWS API requests, retries included.", c.apiCalls);
  m.counter("pwb_alb_sync_api_errors_total", "AWS API calls that failed after their retries.", c.apiErrors);
  m.counter("pwb_alb_sync_api_throttled_total", "AWS API requests answered with a throttling error.", c.throttled);
  m.counter("pwb_alb_sync_changes_total", "Targets registered and deregistered.", [
    [{ action: "register" }, c.registered],
    [{ action: "deregister" }, c.deregistered],
  ]);
  return String(m);
}

export async function writeMetrics(root: Root, path: string, text: string): Promise<void> {
  await root.writeAtomic(path, text, { mode: 0o644 });
}
