import { createHash } from "node:crypto";
import type { Role } from "../../facts/types.js";
import type { SiteConfig } from "../../site/types.js";
import { RUN_LOG_PATH } from "../../metrics/run-log.js";

/** Where the CloudWatch agent is on ParallelCluster's AMIs (it runs the agent for its own logs). */
export const CW_AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";
export const CW_FRAGMENT_DIR = "/etc/pwb-agent/cloudwatch";

/** Workbench's log files (logging.conf's file logger, default directories of Posit's admin guide). */
export const WORKBENCH_LOGS = {
  rserver: "/var/log/rstudio/rstudio-server/rserver.log",
  access: "/var/log/rstudio/rstudio-server/rserver-http-access.log",
  launcher: "/var/log/rstudio/launcher/rstudio-launcher.log",
} as const;

interface CollectEntry {
  file_path: string;
  log_group_name: string;
  /** ParallelCluster's own naming: `<ip>.<instance id>.<log>`, so ours sort beside its streams. */
  log_stream_name: string;
  timezone: "UTC";
}

/**
 * A logs-only CloudWatch agent configuration for this role, into the cluster's own log group (the one
 * ParallelCluster created, from dna.json). `amazon-cloudwatch-agent-ctl -a append-config` merges it
 * with ParallelCluster's configuration: collect_list entries add up, nothing of theirs is replaced.
 */
export function cloudwatchFragment(site: SiteConfig, role: Role, logGroup: string): string {
  const entry = (file: string, name: string): CollectEntry => ({ file_path: file, log_group_name: logGroup, log_stream_name: `{ip_address}.{instance_id}.${name}`, timezone: "UTC" });
  const files: CollectEntry[] = [entry(RUN_LOG_PATH, "pwb-agent-runs")];
  // Workbench runs on login nodes; with journald or syslog its lines reach ParallelCluster's system log streams instead.
  if (role === "login" && site.telemetry.logging.destination === "file") {
    files.push(entry(WORKBENCH_LOGS.rserver, "rserver"), entry(WORKBENCH_LOGS.launcher, "rstudio-launcher"));
  }
  if (role === "login" && site.telemetry.accessLog) files.push(entry(WORKBENCH_LOGS.access, "rserver-http-access"));
  if (role === "head" && site.telemetry.jobCompletion.enabled) files.push(entry(site.telemetry.jobCompletion.path, "slurm-jobcomp"));
  return JSON.stringify({ logs: { logs_collected: { files: { collect_list: files } } } }, null, 2) + "\n";
}

/** One stable name: appending it again replaces the CloudWatch agent's earlier copy instead of adding a second. */
export const CW_FRAGMENT = `${CW_FRAGMENT_DIR}/pwb-agent.json`;

/** Marks a fragment's content as appended: a changed fragment is appended again, an unchanged one never. */
export function appendedStamp(content: string): string {
  return `/var/lib/pwb-agent/cloudwatch/appended-${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
}
