import { bool, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/** A queue's subnet ids as written (non-strings skipped: the networking rule reports them). */
function subnetIds(queue: YView): Array<{ id: string; at: YView }> {
  return queue
    .dig("Networking", "SubnetIds")
    .items()
    .flatMap((at) => (str(at) === undefined ? [] : [{ id: str(at)!, at }]));
}

/** The compute resource's own PlacementGroup wins over the queue's (ParallelCluster: "implied" otherwise). */
function placementGroupFor(queue: YView, cr: YView): YView | undefined {
  const own = cr.dig("Networking", "PlacementGroup");
  if (own.isMap) return own;
  const shared = queue.dig("Networking", "PlacementGroup");
  return shared.isMap ? shared : undefined;
}

function enabledOrAssigned(group: YView): boolean {
  return bool(group.get("Enabled")) === true || group.get("Id").exists || group.get("Name").exists;
}

/** PlacementGroupNamingValidator: Id or Name, not both; neither with Enabled: false. */
function placementGroupNaming(ctx: RuleContext, group: YView): void {
  if (!group.isMap) return;
  const id = group.get("Id");
  const name = group.get("Name");
  if (id.exists && name.exists) ctx.issues.error("placement-group-naming", id, `${group.where}: give Id or Name, not both`, "key");
  else if ((id.exists || name.exists) && bool(group.get("Enabled")) === false) {
    ctx.issues.error("placement-group-naming", group.get("Enabled"), `${group.where}: a placement group with ${id.exists ? "an Id" : "a Name"} must not be Enabled: false (remove Enabled, or the ${id.exists ? "Id" : "Name"})`);
  }
}

/**
 * What ParallelCluster allows once a queue spans several subnets (Availability Zones):
 * - no subnet twice in one queue (QueueSubnetsValidator);
 * - compute resources name their types with `Instances`, not `InstanceType` (SingleInstanceTypeSubnetValidator:
 *   EC2 Fleet places single-type resources in one subnet);
 * - no FSx for Lustre that ParallelCluster creates, which lives in one subnet (ManagedFsxMultiAzValidator,
 *   counted over the subnets of all queues together);
 * - no EFA and no placement group (EfaMultiAzValidator, MultiAzPlacementGroupValidator).
 * ParallelCluster decides "multi-AZ" from the subnets' zones (an AWS call); offline, two distinct subnets
 * stand for two zones, which holds for every queue it accepts (QueueSubnetsValidator wants one subnet per zone).
 */
export function checkMultiSubnet(ctx: RuleContext): void {
  const all = new Set<string>();
  let spanning: YView | undefined;
  for (const queue of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    if (!queue.isMap) continue;
    placementGroupNaming(ctx, queue.dig("Networking", "PlacementGroup"));
    for (const cr of queue.get("ComputeResources").items()) placementGroupNaming(ctx, cr.dig("Networking", "PlacementGroup"));
    const ids = subnetIds(queue);
    const seen = new Set<string>();
    for (const { id, at } of ids) {
      if (seen.has(id)) ctx.issues.error("queue-subnets-duplicate", at, `${at.where}: subnet ${id} is listed twice for this queue`);
      seen.add(id);
      all.add(id);
    }
    if (seen.size > 1) {
      spanning ??= queue.dig("Networking", "SubnetIds");
      const name = str(queue.get("Name")) ?? queue.where;
      for (const cr of queue.get("ComputeResources").items()) {
        // EfaMultiAzValidator, MultiAzPlacementGroupValidator: both need every node in one zone.
        const efa = cr.dig("Efa", "Enabled");
        if (bool(efa) === true) {
          ctx.issues.error("efa-multi-az", efa, `${cr.where}: EFA does not work across Availability Zones; queue ${name} spans ${seen.size} subnets (use one subnet, or disable EFA)`);
        }
        const group = placementGroupFor(queue, cr);
        if (group && enabledOrAssigned(group)) {
          ctx.issues.error("placement-group-multi-az", group, `${group.where}: a placement group lives in one Availability Zone; queue ${name} spans ${seen.size} subnets (use one subnet, or remove the placement group)`, "key");
        }
        const type = cr.get("InstanceType");
        // With Instances too, the schema error (rule instance-type) is all ParallelCluster reports.
        if (!type.present || cr.get("Instances").present) continue;
        ctx.issues.error(
          "single-instance-type-subnet",
          type,
          `${cr.where}: queue ${name} spans ${seen.size} subnets, which needs Instances (- InstanceType: ${str(type) ?? "…"}) instead of InstanceType`,
          "key",
        );
      }
    }
  }
  if (all.size < 2) return;
  for (const item of ctx.root.get("SharedStorage").items()) {
    if (str(item.get("StorageType")) !== "FsxLustre" || item.dig("FsxLustreSettings", "FileSystemId").exists) continue;
    ctx.issues.error(
      "managed-fsx-multi-az",
      item.get("StorageType"),
      `${item.where}: an FSx for Lustre file system that ParallelCluster creates cannot serve queues in ${all.size} subnets (first: ${spanning?.where ?? "Scheduling.SlurmQueues"}); give FsxLustreSettings.FileSystemId of an existing one reachable from every subnet, or use one subnet`,
    );
  }
}
