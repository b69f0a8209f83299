import { check, need, str, type RuleContext } from "../context.js";

/** HeadNode's required keys, and the shared-storage layout this architecture expects. */
export function checkHeadNode(ctx: RuleContext): void {
  const head = ctx.root.get("HeadNode");
  if (!need(ctx, head, "map")) return;
  need(ctx, head.get("InstanceType"), "string");
  const type = head.get("SharedStorageType");
  if (!type.exists) {
    ctx.issues.warn("pwb-shared-storage-type", head, "HeadNode.SharedStorageType: set Efs, so /opt/slurm and ParallelCluster's shared directories do not depend on the head node's NFS export", "key");
  } else if (check(ctx, type, "string")) {
    const value = str(type)!;
    if (value !== "Efs" && value !== "Ebs") ctx.issues.error("format", type, `${type.where}: expected Efs or Ebs; got "${value}"`);
    else if (value === "Ebs") ctx.issues.warn("pwb-shared-storage-type", type, `${type.where}: Efs is recommended: with Ebs every node mounts /opt/slurm from the head node over NFS`);
  }
}
