import { check, mapItems, matches, need, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

const ROLE = /^arn:.*:role\//;
const PROFILE = /^arn:.*:instance-profile\//;
const POLICY = /^arn:.*:policy\//;

/**
 * A node's Iam section (head, queue, login pool). InstanceRole, InstanceProfile and
 * AdditionalIamPolicies exclude each other (the first two replace the role ParallelCluster makes,
 * the third adds to it); S3Access needs that generated role too.
 */
function nodeIam(ctx: RuleContext, iam: YView): void {
  if (!check(ctx, iam, "map")) return;
  const role = iam.get("InstanceRole");
  const profile = iam.get("InstanceProfile");
  const policies = iam.get("AdditionalIamPolicies");
  if (role.exists) matches(ctx, role, ROLE, "an IAM role ARN (arn:…:role/…)");
  if (profile.exists) matches(ctx, profile, PROFILE, "an instance profile ARN (arn:…:instance-profile/…)");
  for (const p of mapItems(ctx, policies)) {
    const arn = p.get("Policy");
    if (need(ctx, arn, "string")) matches(ctx, arn, POLICY, "an IAM policy ARN (arn:…:policy/…)");
  }
  // Reported at whichever of them comes second in the file.
  const set = [role, profile, policies].filter((v) => v.exists).sort((a, b) => a.keyPosition.line - b.keyPosition.line || a.keyPosition.column - b.keyPosition.column);
  if (set.length > 1) {
    ctx.issues.error("iam-exclusive", set[1]!, `${iam.where}: InstanceProfile, InstanceRole and AdditionalIamPolicies cannot be configured together`, "key");
  }
  const s3 = iam.get("S3Access");
  if (s3.exists && (role.exists || profile.exists)) {
    ctx.issues.error("iam-exclusive", s3, `${iam.where}: S3Access cannot be configured with ${role.exists ? "InstanceRole" : "InstanceProfile"} (it extends the role ParallelCluster creates)`, "key");
  }
}

export function checkIam(ctx: RuleContext): void {
  nodeIam(ctx, ctx.root.dig("HeadNode", "Iam"));
  for (const q of ctx.root.dig("Scheduling", "SlurmQueues").items()) nodeIam(ctx, q.get("Iam"));
  for (const p of ctx.root.dig("LoginNodes", "Pools").items()) nodeIam(ctx, p.get("Iam"));
  const boundary = ctx.root.dig("Iam", "PermissionsBoundary");
  if (boundary.exists) matches(ctx, boundary, POLICY, "an IAM policy ARN (arn:…:policy/…)");
}
