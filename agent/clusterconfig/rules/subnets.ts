import { str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/** A queue's subnet ids as written (non-strings skipped: the networking rule reports them). */
function subnetIds(queue: YView): Array<{ id: string; at: YView }> {
  return queue
    .dig("Networking", "SubnetIds")
    .items()
    .flatMap((at) => (str(at) === undefined ? [] : [{ id: str(at)!, at }]));
}

/**
 * What ParallelCluster allows once a queue spans several subnets (Availability Zones):
 * - no subnet twice in one queue (QueueSubnetsValidator);
 * - compute resources name their types with `Instances`, not `InstanceType` (SingleInstanceTypeSubnetValidator:
 *   EC2 Fleet places single-type resources in one subnet);
 * - no FSx for Lustre that ParallelCluster creates, which lives in one subnet (ManagedFsxMultiAzValidator,
 *   counted over the subnets of all queues together).
 */
export function checkMultiSubnet(ctx: RuleContext): void {
  const all = new Set<string>();
  let spanning: YView | undefined;
  for (const queue of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    if (!queue.isMap) continue;
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
