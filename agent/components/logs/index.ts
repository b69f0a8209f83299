import path from "node:path";
import { DNA_JSON } from "../../facts/role.js";
import type { Resource } from "../../engine/types.js";
import type { Component } from "../types.js";
import { appendedStamp, cloudwatchFragment, CW_AGENT_CTL, CW_FRAGMENT } from "./cloudwatch.js";
import { JOBCOMP_SCRIPT, jobcompScript } from "./jobcomp.js";
import { RUN_LOG_PATH } from "../../metrics/run-log.js";

const RUN_LOG_DIR = path.posix.dirname(RUN_LOG_PATH);

export interface LogsInputs {
  /** The cluster's CloudWatch log group (dna.json `log_group_name`); null when ParallelCluster ships no logs. */
  logGroup: string | null;
}

const ROOT = { owner: "root", group: "root" } as const;

/**
 * Logs (site `telemetry:`): a CloudWatch agent fragment for this role's pwb-agent and Workbench logs,
 * appended to ParallelCluster's own agent configuration, and on the head node the Slurm job
 * completion script with the directory its JSON lines go to.
 */
export const logsComponent: Component<LogsInputs> = {
  name: "logs",
  roles: ["head", "login", "compute"],
  needsSite: true,
  async gather(_facts, site, ctx) {
    if (!site.telemetry.cloudwatch) return { logGroup: null };
    const text = await ctx.root.readText(DNA_JSON).catch(() => null);
    let cluster: { log_group_name?: unknown; cw_logging_enabled?: unknown } = {};
    try {
      cluster = (JSON.parse(text ?? "{}") as { cluster?: typeof cluster }).cluster ?? {};
    } catch {
      // detect already refuses a malformed dna.json; nothing more to say here
    }
    const logGroup = typeof cluster.log_group_name === "string" && cluster.log_group_name && String(cluster.cw_logging_enabled) !== "false" ? cluster.log_group_name : null;
    if (logGroup === null) ctx.log.warn("telemetry.cloudwatch is on, but ParallelCluster ships no logs on this cluster (Monitoring.Logs.CloudWatch.Enabled): no CloudWatch fragment");
    return { logGroup };
  },
  wants(facts, site, inputs) {
    if (site === null) return [];
    const resources: Resource[] = [];
    const jobs = site.telemetry.jobCompletion;
    if (facts.role === "head" && jobs.enabled) {
      // slurmctld runs the script as SlurmUser: it owns the records' directory, and must be able to reach it.
      const dir = path.posix.dirname(jobs.path);
      if (path.posix.dirname(dir) === RUN_LOG_DIR) resources.push({ kind: "dir", path: RUN_LOG_DIR, mode: 0o755, ...ROOT });
      resources.push(
        { kind: "dir", path: dir, mode: 0o750, owner: site.slurm.serviceUser, group: "root" },
        { kind: "file", path: JOBCOMP_SCRIPT, content: jobcompScript(jobs.path), mode: 0o755, ...ROOT },
      );
    }
    if (site.telemetry.cloudwatch && inputs.logGroup) {
      const fragment = cloudwatchFragment(site, facts.role, inputs.logGroup);
      const stamp = appendedStamp(fragment);
      resources.push(
        { kind: "file", path: CW_FRAGMENT, content: fragment, mode: 0o644, ...ROOT },
        { kind: "command", label: "cloudwatch-append-config", argv: [CW_AGENT_CTL, "-a", "append-config", "-m", "ec2", "-s", "-c", `file:${CW_FRAGMENT}`], creates: stamp },
        { kind: "file", path: stamp, content: `${CW_FRAGMENT} appended to the CloudWatch agent's configuration\n`, mode: 0o644, ...ROOT },
      );
    }
    return resources;
  },
};
