import { SINCE } from "../versions.js";
import { check, intIn, since, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/**
 * Slurm parameters ParallelCluster writes itself, so it refuses them in CustomSlurmSettings
 * (CLI slurm_settings_validator.py SLURM_SETTINGS_DENY_LIST), per level, compared case-insensitively.
 */
const DENIED = {
  slurmConf: [
    "Epilog", "GresTypes", "LaunchParameters", "Prolog", "ReconfigFlags", "ResumeFailProgram", "ResumeProgram", "ResumeTimeout",
    "SlurmctldHost", "SlurmctldLogFile", "SlurmctldParameters", "SlurmdLogFile", "SlurmUser", "SuspendExcNodes", "SuspendProgram",
    "SuspendTime", "TaskPlugin", "TreeWidth",
  ],
  /** Only with SlurmSettings.Database: ParallelCluster then configures accounting. */
  accounting: ["AccountingStorageType", "AccountingStorageHost", "AccountingStoragePort", "AccountingStorageUser", "JobAcctGatherType"],
  queue: ["Nodes", "PartitionName", "ResumeTimeout", "State", "SuspendTime", "OverSubscribe"],
  computeResource: ["CPUs", "Features", "Gres", "NodeAddr", "NodeHostname", "NodeName", "State", "Weight"],
};
const MIN_PRIORITY = 1;
const MAX_PRIORITY = 2 ** 32 - 1;
const DEFAULT_STATIC_PRIORITY = 1;
const DEFAULT_DYNAMIC_PRIORITY = 1000;

/** Reports each denied key of one settings mapping (CustomSlurmSettingsValidator). */
function denied(ctx: RuleContext, settings: YView, deny: string[], level: string): void {
  const lower = new Set(deny.map((d) => d.toLowerCase()));
  for (const entry of settings.entries()) {
    if (!lower.has(String(entry.name).toLowerCase())) continue;
    ctx.issues.error("custom-slurm-settings", entry, `${entry.where}: ParallelCluster sets ${String(entry.name)} itself; it is not allowed in CustomSlurmSettings at ${level} level`, "key");
  }
}

function slurmSettings(ctx: RuleContext, settings: YView): void {
  const custom = settings.get("CustomSlurmSettings");
  const withDatabase = settings.get("Database").exists;
  if (check(ctx, custom, "list")) {
    for (const item of custom.items()) {
      if (!check(ctx, item, "map")) continue;
      // A mapping of several keys is a custom node, nodeset or partition line: not checked against the list.
      if (item.keys().length === 1) denied(ctx, item, [...DENIED.slurmConf, ...(withDatabase ? DENIED.accounting : [])], "SlurmConf");
      for (const entry of item.entries()) {
        const value = str(entry);
        if (String(entry.name).toLowerCase() === "nodename" && value && /-(st|dy)-/.test(value)) {
          ctx.issues.error("custom-slurm-node-names", entry, `${entry.where}: "-st-" and "-dy-" in node names are reserved for the nodes ParallelCluster manages; rename ${value}`);
        }
      }
    }
  }
  const include = settings.get("CustomSlurmSettingsIncludeFile");
  if (include.exists && custom.exists && custom.items().length > 0) {
    ctx.issues.error("custom-slurm-settings-include-file", include, `${settings.where}: CustomSlurmSettings and CustomSlurmSettingsIncludeFile cannot be used together`, "key");
  }

  const external = settings.get("ExternalSlurmdbd");
  if (external.exists && since(ctx, SINCE.externalSlurmdbd)) {
    if (!settings.get("MungeKeySecretArn").exists) {
      ctx.issues.error("external-slurmdbd-munge-key", external, `${settings.where}: with ExternalSlurmdbd, MungeKeySecretArn is required (the cluster and slurmdbd must share the munge key)`, "key");
    }
    ctx.issues.warn("external-slurmdbd-unencrypted", external, `${external.where}: traffic to an external slurmdbd is not encrypted; keep the cluster and slurmdbd in a trusted network`, "key");
  }
}

/** Within a queue, static nodes should not outrank dynamic ones (SlurmNodePrioritiesWarningValidator). */
function priorities(ctx: RuleContext, queue: YView): void {
  const statics: number[] = [];
  const dynamics: number[] = [];
  for (const cr of queue.get("ComputeResources").items()) {
    const st = cr.get("StaticNodePriority");
    const dy = cr.get("DynamicNodePriority");
    const stValue = st.exists ? intIn(ctx, st, MIN_PRIORITY, MAX_PRIORITY, "StaticNodePriority") : DEFAULT_STATIC_PRIORITY;
    const dyValue = dy.exists ? intIn(ctx, dy, MIN_PRIORITY, MAX_PRIORITY, "DynamicNodePriority") : DEFAULT_DYNAMIC_PRIORITY;
    const min = cr.get("MinCount").integer() ?? 0;
    const max = cr.get("MaxCount").integer() ?? 10;
    if (stValue !== undefined && min > 0) statics.push(stValue);
    if (dyValue !== undefined && max > min) dynamics.push(dyValue);
  }
  if (statics.length && dynamics.length && Math.max(...statics) >= Math.min(...dynamics)) {
    ctx.issues.warn(
      "node-priorities",
      queue.get("ComputeResources"),
      `${queue.where}: static nodes have a priority (${Math.max(...statics)}) at or above a dynamic node's (${Math.min(...dynamics)}): Slurm would fill dynamic nodes first`,
      "key",
    );
  }
}

export function checkSlurmSettings(ctx: RuleContext): void {
  const scheduling = ctx.root.get("Scheduling");
  const settings = scheduling.get("SlurmSettings");
  if (settings.isMap) slurmSettings(ctx, settings);
  for (const queue of scheduling.get("SlurmQueues").items()) {
    if (!queue.isMap) continue;
    const queueSettings = queue.get("CustomSlurmSettings");
    if (check(ctx, queueSettings, "map")) denied(ctx, queueSettings, DENIED.queue, "Queue");
    for (const cr of queue.get("ComputeResources").items()) {
      const crSettings = cr.get("CustomSlurmSettings");
      if (check(ctx, crSettings, "map")) denied(ctx, crSettings, DENIED.computeResource, "ComputeResource");
    }
    priorities(ctx, queue);
  }
}
