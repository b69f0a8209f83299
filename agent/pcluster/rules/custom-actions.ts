import { HOOK_SCRIPT_NAME, isAgentHook } from "../hook.js";
import { SINCE, formatVersion } from "../versions.js";
import { check, mapItems, need, since, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/**
 * One event's value: `{Script, Args}` or `{Sequence: [{Script, Args}, …]}` (schema
 * OneOrManyCustomActionField). Returns its scripts, or null when it is malformed (already reported).
 */
function eventScripts(ctx: RuleContext, event: YView): string[] | null {
  if (!check(ctx, event, "map")) return null;
  const script = event.get("Script");
  const sequence = event.get("Sequence");
  if (script.present && sequence.present) {
    ctx.issues.error("custom-action", sequence, `${event.where}: Script and Sequence cannot both be given`, "key");
    return null;
  }
  if (!script.present && !sequence.present) {
    ctx.issues.error("custom-action", event, `${event.where}: Script or Sequence is required`, "key");
    return null;
  }
  const steps = script.present ? [event] : mapItems(ctx, sequence);
  const scripts: string[] = [];
  let malformed = false;
  for (const step of steps) {
    const s = step.get("Script");
    if (!need(ctx, s, "string")) {
      malformed = true;
      continue;
    }
    const url = str(s)!;
    // The executor downloads s3:// with the instance role and https:// with requests; nothing else.
    if (!/^(s3|https):\/\/\S+$/.test(url)) {
      ctx.issues.error("custom-action-url", s, `${s.where}: expected an s3:// or https:// URL; got "${url}"`);
      malformed = true;
      continue;
    }
    const args = step.get("Args");
    if (check(ctx, args, "list")) for (const a of args.items()) check(ctx, a, "string");
    scripts.push(url);
  }
  return malformed ? null : scripts;
}

interface NodeType {
  node: YView;
  label: string;
  /** Events ParallelCluster accepts for this node type. */
  events: string[];
  /** False for login pools before 3.11: they cannot have custom actions at all. */
  canHook: boolean;
}

export function checkCustomActions(ctx: RuleContext): void {
  const loginHooks = since(ctx, SINCE.loginCustomActions);
  const nodes: NodeType[] = [];
  const head = ctx.root.get("HeadNode");
  if (head.isMap) nodes.push({ node: head, label: "the head node", events: ["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"], canHook: true });
  for (const q of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    if (q.isMap) nodes.push({ node: q, label: `queue ${str(q.get("Name")) ?? q.where}`, events: ["OnNodeStart", "OnNodeConfigured"], canHook: true });
  }
  for (const p of ctx.root.dig("LoginNodes", "Pools").items()) {
    if (p.isMap) nodes.push({ node: p, label: `login pool ${str(p.get("Name")) ?? p.where}`, events: ["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"], canHook: loginHooks });
  }

  for (const { node, label, events, canHook } of nodes) {
    const actions = node.get("CustomActions");
    // A malformed OnNodeConfigured is reported as such; "no hook" on top would say the same twice.
    let hooked = false;
    // Login pools before 3.11: the `version` rule already reports CustomActions there.
    if (canHook && check(ctx, actions, "map")) {
      for (const event of actions.entries()) {
        // Other events are unknown keys (rules/keys.ts).
        if (!events.includes(String(event.name))) continue;
        const scripts = eventScripts(ctx, event);
        if (event.name === "OnNodeConfigured" && (scripts === null || scripts.some(isAgentHook))) hooked = true;
      }
    }
    if (hooked) continue;
    const configured = actions.get("OnNodeConfigured");
    const at = configured.exists ? configured : actions.exists ? actions : node;
    const fix = `add CustomActions.OnNodeConfigured with Script: s3://…/${HOOK_SCRIPT_NAME} (\`pwb-agent cluster-config render\` writes it)`;
    if (canHook) {
      ctx.issues.error("pwb-hook", at, `${node.where}: ${label} does not run the pwb-agent hook at OnNodeConfigured, so it would never converge to its role (Workbench, Slurm client, mounts): ${fix}`, "key");
    } else {
      ctx.issues.warn(
        "pwb-hook",
        at,
        `${node.where}: ParallelCluster ${formatVersion(ctx.version)} runs no custom actions on login nodes (from ${SINCE.loginCustomActions}): ${label} converges only if its AMI enables pwb-agent.service`,
        "key",
      );
    }
  }
}
