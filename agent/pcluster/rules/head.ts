import { check, need, str, type RuleContext } from "../context.js";

const IMDS_VERSIONS = ["v1.0", "v2.0"];

/** Imds.ImdsSupport (ImdsSchema OneOf) and HeadNode.Imds.Secured (a boolean; HeadNodeImdsValidator wants slurm, which pwb-scheduler requires). */
function imds(ctx: RuleContext): void {
  const support = ctx.root.dig("Imds", "ImdsSupport");
  if (check(ctx, support, "string") && !IMDS_VERSIONS.includes(str(support)!)) {
    ctx.issues.error("format", support, `${support.where}: expected one of ${IMDS_VERSIONS.join(", ")}; got "${str(support)}"`);
  }
  check(ctx, ctx.root.dig("HeadNode", "Imds", "Secured"), "boolean");
}

/** HeadNode's required keys, and the shared-storage layout this architecture expects. */
export function checkHeadNode(ctx: RuleContext): void {
  imds(ctx);
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
