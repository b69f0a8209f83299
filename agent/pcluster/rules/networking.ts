import { check, matches, need, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

const SUBNET_ID = /^subnet-[0-9a-z]{8}$|^subnet-[0-9a-z]{17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-z]{8}$|^sg-[0-9a-z]{17}$/;

function ids(ctx: RuleContext, list: YView, re: RegExp, what: string): number {
  if (!check(ctx, list, "list")) return 0;
  const items = list.items();
  for (const item of items) matches(ctx, item, re, what);
  return items.length;
}

/** SecurityGroups replaces ParallelCluster's own groups, AdditionalSecurityGroups adds to them: never both. */
function securityGroups(ctx: RuleContext, net: YView): void {
  const sg = net.get("SecurityGroups");
  const extra = net.get("AdditionalSecurityGroups");
  ids(ctx, sg, SECURITY_GROUP_ID, "a security group id (sg- and 8 or 17 characters)");
  ids(ctx, extra, SECURITY_GROUP_ID, "a security group id (sg- and 8 or 17 characters)");
  if (sg.exists && extra.exists) {
    ctx.issues.error("security-groups", extra, `${net.where}: SecurityGroups and AdditionalSecurityGroups cannot be configured together`, "key");
  }
}

/**
 * MixedSecurityGroupOverwriteValidator (a warning): the head node and the queues should either all keep
 * ParallelCluster's security groups or all replace them, or nodes may not reach each other.
 */
function mixedSecurityGroups(ctx: RuleContext): void {
  const head = ctx.root.dig("HeadNode", "Networking", "SecurityGroups");
  const queues = ctx.root.dig("Scheduling", "SlurmQueues").items().filter((q) => q.isMap);
  if (!queues.length) return;
  const replaced = queues.map((q) => q.dig("Networking", "SecurityGroups").items().length > 0);
  const headReplaces = head.items().length > 0;
  if (replaced.every((r) => r === headReplaces)) return;
  const at = headReplaces ? head : queues[replaced.indexOf(true)]!.dig("Networking", "SecurityGroups");
  ctx.issues.warn("security-groups-mixed", at, `${at.where}: some nodes replace ParallelCluster's security groups and others keep them; make sure every node reaches every other, or use AdditionalSecurityGroups instead`, "key");
}

/** Each queue's or login pool's Networking: its subnet ids (a count `wrongCount` rejects is an error) and security groups. */
function nodeGroups(ctx: RuleContext, groups: YView, wrongCount: (n: number) => boolean, countRule: string): void {
  for (const group of groups.items()) {
    if (!group.isMap) continue;
    const net = group.get("Networking");
    if (!need(ctx, net, "map")) continue;
    const subnets = net.get("SubnetIds");
    if (need(ctx, subnets, "list") && wrongCount(ids(ctx, subnets, SUBNET_ID, "a subnet id"))) {
      ctx.issues.error("range", subnets, `${subnets.where}: ${countRule}`);
    }
    securityGroups(ctx, net);
  }
}

export function checkNetworking(ctx: RuleContext): void {
  mixedSecurityGroups(ctx);
  const head = ctx.root.dig("HeadNode", "Networking");
  if (ctx.root.get("HeadNode").isMap && need(ctx, head, "map")) {
    const subnet = head.get("SubnetId");
    if (need(ctx, subnet, "string")) matches(ctx, subnet, SUBNET_ID, "a subnet id (subnet- and 8 or 17 characters)");
    securityGroups(ctx, head);
  }

  nodeGroups(ctx, ctx.root.dig("Scheduling", "SlurmQueues"), (n) => n === 0, "at least one subnet is required");
  nodeGroups(ctx, ctx.root.dig("LoginNodes", "Pools"), (n) => n !== 1, "a login pool takes exactly one subnet");
}
