// The sync's state as a Prometheus textfile (node_exporter's textfile collector reads *.prom).
import { atomicWrite } from "../engine/fsutil.js";
import type { Root } from "../engine/root.js";
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

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export function renderMetrics(state: SyncState, tick: TickMetrics): string {
  const lines: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  const secs = (ms: number | null) => (ms === null ? 0 : ms / 1000);
  const c = state.counters;
  metric("pwb_alb_sync_info", "gauge", "Cluster and region this sync serves.", [[`{cluster="${esc(state.cluster)}",region="${esc(state.region)}"}`, 1]]);
  metric("pwb_alb_sync_last_run_timestamp_seconds", "gauge", "When the last tick ended.", [["", secs(state.lastRun)]]);
  metric("pwb_alb_sync_last_success_timestamp_seconds", "gauge", "When a tick last read every target group and applied its changes (0: never).", [["", secs(state.lastSuccess)]]);
  metric("pwb_alb_sync_last_run_success", "gauge", "1 when the last tick succeeded.", [["", tick.success ? 1 : 0]]);
  metric("pwb_alb_sync_consecutive_failures", "gauge", "Failed ticks since the last success.", [["", state.consecutiveFailures]]);
  metric("pwb_alb_sync_tick_duration_seconds", "gauge", "Wall time of the last tick.", [["", tick.durationMs / 1000]]);
  metric("pwb_alb_sync_api_calls_last_tick", "gauge", "AWS API requests of the last tick, retries included.", [["", tick.apiCalls]]);
  metric("pwb_alb_sync_desired_targets", "gauge", "Login nodes the NLB target groups want behind the ALB.", [["", tick.desired]]);
  metric("pwb_alb_sync_registered_targets", "gauge", "Targets in the Workbench target group on Workbench's port.", [["", tick.actual]]);
  metric("pwb_alb_sync_drift_targets", "gauge", "Targets that differed from the desired state at the start of the last tick.", [["", tick.drift]]);
  metric("pwb_alb_sync_held_deregistrations", "gauge", "Removals held back by the share guard, awaiting confirmation.", [["", tick.held]]);
  metric("pwb_alb_sync_blocked_deregistrations", "gauge", "Removals not considered because a read failed or came back empty.", [["", tick.blocked]]);
  metric("pwb_alb_sync_ticks_total", "counter", "Ticks run.", [["", c.ticks]]);
  metric("pwb_alb_sync_failed_ticks_total", "counter", "Ticks that failed.", [["", c.failedTicks]]);
  metric("pwb_alb_sync_untrusted_reads_total", "counter", "Reads answered short (fewer pools, an empty target group, a listing cut off) and not acted on.", [["", c.untrustedReads]]);
  metric("pwb_alb_sync_api_calls_total", "counter", "AWS API requests, retries included.", [["", c.apiCalls]]);
  metric("pwb_alb_sync_api_errors_total", "counter", "AWS API calls that failed after their retries.", [["", c.apiErrors]]);
  metric("pwb_alb_sync_api_throttled_total", "counter", "AWS API requests answered with a throttling error.", [["", c.throttled]]);
  metric("pwb_alb_sync_changes_total", "counter", "Targets registered and deregistered.", [
    ['{action="register"}', c.registered],
    ['{action="deregister"}', c.deregistered],
  ]);
  return lines.join("\n") + "\n";
}

export async function writeMetrics(root: Root, path: string, text: string): Promise<void> {
  await atomicWrite(await root.confined(path, { followLeaf: false }), text, { mode: 0o644 });
}
