import { SINCE } from "../versions.js";
import { check, since, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/** Queue, compute-resource and login-pool names (CLI NameValidator): they become Slurm node names. */
const RESOURCE_NAME = /^[a-z][a-z0-9-]*$/;
const RESOURCE_NAME_MAX = 25;

/** `pcluster create-cluster --cluster-name` (CLI ClusterNameValidator). */
const CLUSTER_NAME = /^[a-zA-Z][a-zA-Z0-9-]*$/;

export function checkResourceName(ctx: RuleContext, v: YView, what: string): string | undefined {
  if (!check(ctx, v, "string")) return undefined;
  const name = str(v)!;
  const problems: string[] = [];
  if (!RESOURCE_NAME.test(name)) problems.push("lower-case letters, digits and '-', starting with a letter");
  if (name.length > RESOURCE_NAME_MAX) problems.push(`at most ${RESOURCE_NAME_MAX} characters (it has ${name.length})`);
  if (name === "default") problems.push('not "default"');
  if (problems.length) {
    ctx.issues.error("name", v, `${v.where}: "${name}" is not a valid ${what} name: expected ${problems.join(", ")}`);
    return undefined;
  }
  return name;
}

/** Names must be unique within their list (CLI DuplicateNameValidator); reports every repeat. */
export function checkUnique(ctx: RuleContext, named: Array<{ name: string; at: YView }>, what: string): void {
  const seen = new Map<string, YView>();
  for (const { name, at } of named) {
    const first = seen.get(name);
    if (first) ctx.issues.error("duplicate", at, `${at.where}: ${what} "${name}" is already defined at line ${first.position.line}`);
    else seen.set(name, at);
  }
}

/** The cluster's own name is not in the file: checked only when --cluster-name is given. */
export function checkClusterName(ctx: RuleContext): void {
  const name = ctx.clusterName;
  if (name === undefined) return;
  const settings = ctx.root.dig("Scheduling", "SlurmSettings");
  const database = settings.get("Database").exists;
  const external = settings.get("ExternalSlurmdbd").exists && since(ctx, SINCE.shortNameWithExternalSlurmdbd);
  const max = database || external ? 40 : 60;
  const problems: string[] = [];
  if (!CLUSTER_NAME.test(name)) problems.push("letters, digits and '-', starting with a letter");
  if (name.length > max) problems.push(`at most ${max} characters${max === 40 ? " with Slurm accounting (Database)" : ""}; it has ${name.length}`);
  if (problems.length) ctx.issues.global("error", "cluster-name", `cluster name "${name}": expected ${problems.join(", ")}`);
}
