import { matches, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/**
 * EC2 instance type names are family.size (m6i.xlarge, c7i-flex.large, u-6tb1.metal). ParallelCluster
 * rejects any other name when it asks EC2 for the type (InstanceTypeValidator, at create time);
 * offline we can check the shape, which catches `g5-xlarge` or `m6i.xlarge ` before an AWS call.
 */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

function instanceType(ctx: RuleContext, v: YView): void {
  if (v.exists) matches(ctx, v, INSTANCE_TYPE, "an EC2 instance type like m6i.xlarge (family.size)", "instance-type-name");
}

export function checkInstanceTypes(ctx: RuleContext): void {
  instanceType(ctx, ctx.root.dig("HeadNode", "InstanceType"));
  for (const pool of ctx.root.dig("LoginNodes", "Pools").items()) instanceType(ctx, pool.get("InstanceType"));
  for (const queue of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    for (const cr of queue.get("ComputeResources").items()) {
      instanceType(ctx, cr.get("InstanceType"));
      for (const item of cr.get("Instances").items()) instanceType(ctx, item.get("InstanceType"));
    }
  }
}
