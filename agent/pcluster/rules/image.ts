import { AGENT_OSES, formatVersion, pclusterOses } from "../versions.js";
import { matches, need, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

const AMI_ID = /^ami-[0-9a-z]{8}$|^ami-[0-9a-z]{17}$/;

/** Image.Os and Image.CustomAmi, and the AMI overrides of head, queues and login pools. */
export function checkImage(ctx: RuleContext): void {
  const image = ctx.root.get("Image");
  if (!need(ctx, image, "map")) return;
  const os = image.get("Os");
  if (need(ctx, os, "string")) {
    const value = str(os)!;
    const accepted = pclusterOses(ctx.version);
    if (!accepted.includes(value)) {
      ctx.issues.error("os", os, `${os.where}: "${value}" is not an OS ParallelCluster ${formatVersion(ctx.version)} supports (${accepted.join(", ")})`);
    } else if (!(AGENT_OSES as readonly string[]).includes(value)) {
      ctx.issues.error("pwb-os", os, `${os.where}: pwb-agent and Posit Workbench need one of ${AGENT_OSES.join(", ")} (the agent needs glibc 2.28 or newer); got "${value}"`);
    }
  }

  const amiAt = (v: YView) => matches(ctx, v, AMI_ID, "an AMI id (ami- and 8 or 17 lower-case letters or digits)");
  const clusterAmi = image.get("CustomAmi");
  if (clusterAmi.exists) amiAt(clusterAmi);

  // The hook execs the agent baked into the image: every node type must boot the custom AMI.
  const nodes: Array<{ node: YView; label: string }> = [
    { node: ctx.root.get("HeadNode"), label: "the head node" },
    ...ctx.root.dig("Scheduling", "SlurmQueues").items().map((q) => ({ node: q, label: `queue ${str(q.get("Name")) ?? q.where}` })),
    ...ctx.root.dig("LoginNodes", "Pools").items().map((p) => ({ node: p, label: `login pool ${str(p.get("Name")) ?? p.where}` })),
  ];
  for (const { node, label } of nodes) {
    if (!node.isMap) continue;
    const override = node.dig("Image", "CustomAmi");
    if (override.exists) {
      amiAt(override);
    } else if (!clusterAmi.exists) {
      ctx.issues.error(
        "pwb-custom-ami",
        clusterAmi,
        `Image.CustomAmi is required (or ${node.where}.Image.CustomAmi): ${label} must boot an AMI built with pwb-agent (\`pwb-agent bake\`), which the hook runs`,
        "key",
      );
      return;
    }
  }
}
