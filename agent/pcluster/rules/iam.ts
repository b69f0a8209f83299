import { check, mapItems, matches, need, str, type RuleContext } from "../context.js";
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
  resourcePrefix(ctx, ctx.root.dig("Iam", "ResourcePrefix"));
}

/** IamResourcePrefixValidator: an IAM path (/team/), a name prefix (pwb-), or both (/team/pwb-). */
const IAM_PATH = /^((\/[a-zA-Z0-9_.,+@=-]+)+)\//;
const IAM_NAME_PREFIX = /^[a-zA-Z0-9_.,+@=-]+$/;
const NAME_PREFIX_MAX = 30;
const PATH_MAX = 512;

function resourcePrefix(ctx: RuleContext, v: YView): void {
  if (!check(ctx, v, "string")) return;
  const prefix = str(v)!;
  const cut = prefix.lastIndexOf("/") + 1;
  const path = cut === 0 ? "" : prefix.slice(0, cut);
  const name = prefix.slice(cut);
  if (!IAM_PATH.test(prefix) && !IAM_NAME_PREFIX.test(prefix)) {
    ctx.issues.error("iam-resource-prefix", v, `${v.where}: expected an IAM path (/team/), a name prefix (pwb-) or both (/team/pwb-); got "${prefix}"`);
  } else if (name.length > NAME_PREFIX_MAX) {
    ctx.issues.error("iam-resource-prefix", v, `${v.where}: the name prefix "${name}" has ${name.length} characters; at most ${NAME_PREFIX_MAX}`);
  } else if (path.length > PATH_MAX) {
    ctx.issues.error("iam-resource-prefix", v, `${v.where}: the IAM path has ${path.length} characters; at most ${PATH_MAX}`);
  }
}
