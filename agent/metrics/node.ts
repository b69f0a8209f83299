// The node's own metrics (apply, doctor, bake): one textfile per writer, so concurrent writers never
// overwrite each other's series and no series appears in two files (node_exporter rejects duplicates).
import type { CheckResult, CheckStatus } from "../doctor/checks.js";
import type { Facts } from "../facts/types.js";
import { VERSION } from "../version.js";
import type { ApplyRecord } from "../state/last-apply.js";
import { MetricsText, seconds } from "./textfile.js";

export const NODE_TEXTFILES = {
  apply: "pwb_agent.prom",
  doctor: "pwb_agent_doctor.prom",
  bake: "pwb_agent_bake.prom",
} as const;

/** Identity of the node on every dashboard row: joined on `instance` with the other series. */
function info(m: MetricsText, facts: Facts): void {
  m.gauge("pwb_agent_info", "pwb-agent on this node: version, role, cluster and queue or login pool.", [
    [{ version: VERSION, role: facts.role, cluster: facts.cluster.name ?? "", pool: facts.cluster.pool ?? facts.cluster.queue ?? "" }, 1],
  ]);
}

export function applyMetrics(facts: Facts, r: ApplyRecord): MetricsText {
  const m = new MetricsText();
  info(m, facts);
  m.gauge("pwb_agent_apply_last_run_timestamp_seconds", "When the last apply ended.", seconds(r.finishedAt));
  m.gauge("pwb_agent_apply_last_success_timestamp_seconds", "When an apply last succeeded (0: never).", seconds(r.lastSuccessAt));
  m.gauge("pwb_agent_apply_last_run_success", "1 when the last apply succeeded.", r.success ? 1 : 0);
  m.gauge("pwb_agent_apply_duration_seconds", "Wall time of the last apply.", r.durationMs / 1000);
  m.gauge("pwb_agent_apply_drift_resources", "Resources that differed from the desired state when the last apply started.", r.planned);
  m.gauge("pwb_agent_apply_changed_resources", "Resources the last apply changed.", r.changes);
  m.gauge("pwb_agent_apply_packages_installed", "Packages the last apply installed or changed (0 at boot on a baked AMI).", r.packages);
  m.counter("pwb_agent_applies_total", "Applies run on this node.", r.runs);
  m.counter("pwb_agent_apply_failures_total", "Applies that failed on this node.", r.failures);
  return m;
}

const STATUSES: readonly CheckStatus[] = ["ok", "warn", "fail", "skipped"];

export function doctorMetrics(facts: Facts, results: readonly CheckResult[], at: number, drift: number | null, owedRestarts: number | null = null): MetricsText {
  const m = new MetricsText();
  m.gauge("pwb_agent_doctor_last_run_timestamp_seconds", "When doctor last ran on this node.", seconds(at));
  m.gauge("pwb_agent_doctor_ok", "1 when no doctor check failed.", results.some((r) => r.status === "fail") ? 0 : 1);
  m.gauge("pwb_agent_doctor_failed_checks", "Doctor checks that failed.", results.filter((r) => r.status === "fail").length);
  // A state set: one series per (check, status), exactly one of them 1.
  m.gauge(
    "pwb_agent_doctor_check_status",
    "Each doctor check's verdict (1 for the status it had).",
    results.flatMap((r) => STATUSES.map((s) => [{ check: r.id, role: facts.role, status: s }, r.status === s ? 1 : 0] as const)),
  );
  m.gauge("pwb_agent_doctor_check_duration_seconds", "How long each doctor check took.", results.map((r) => [{ check: r.id }, r.ms / 1000] as const));
  if (drift !== null) m.gauge("pwb_agent_drift_resources", "Resources that differ from the desired state (doctor's plan).", drift);
  // Read by doctor on its timer, so it stays true after an apply that was killed before recording anything.
  if (owedRestarts !== null) m.gauge("pwb_agent_owed_restarts", "Service restarts an apply owes this node (a file they read changed; not yet restarted).", owedRestarts);
  return m;
}

export interface BakeOutcome {
  finishedAt: number;
  success: boolean;
  durationMs: number;
  installed: number;
  downloaded: number;
}

export function bakeMetrics(b: BakeOutcome): MetricsText {
  const m = new MetricsText();
  m.gauge("pwb_agent_bake_last_run_timestamp_seconds", "When bake last ended on this image.", seconds(b.finishedAt));
  m.gauge("pwb_agent_bake_last_run_success", "1 when the last bake succeeded.", b.success ? 1 : 0);
  m.gauge("pwb_agent_bake_duration_seconds", "Wall time of the last bake.", b.durationMs / 1000);
  m.gauge("pwb_agent_bake_artifacts", "Artifacts the last bake installed and downloaded.", [
    [{ action: "installed" }, b.installed],
    [{ action: "downloaded" }, b.downloaded],
  ]);
  return m;
}
