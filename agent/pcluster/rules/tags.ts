import { mapItems, need, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/** EC2 allows 50 tags; ParallelCluster keeps 10 for its own (CLI tags_validators.py MAX_TAGS_COUNT). */
const MAX_TAGS = 40;
const RESERVED_PREFIX = "parallelcluster:";

/** AWS reserves aws: for its own tags, in any case (EC2 CreateTags, CloudFormation Tag). */
const AWS_PREFIX = /^aws:/i;

/**
 * One Tags list: shape, lengths, reserved prefixes, duplicates. Returns the keys. `cfnStackTags`:
 * the cluster's own Tags, which also tag the CloudFormation stack.
 */
function tagList(ctx: RuleContext, list: YView, cfnStackTags = false): string[] {
  const keys: string[] = [];
  const seen = new Map<string, YView>();
  for (const tag of mapItems(ctx, list)) {
    const key = tag.get("Key");
    const value = tag.get("Value");
    const keyOk = need(ctx, key, "string");
    if (need(ctx, value, "string") && str(value)!.length > 256) {
      ctx.issues.error("tag-length", value, `${value.where}: a tag value has at most 256 characters (it has ${str(value)!.length})`);
    } else if (str(value) === "" && cfnStackTags) {
      ctx.issues.error("pwb-tag-empty-value", value, `${value.where}: an empty value: ParallelCluster puts the cluster's tags on its CloudFormation stack, whose tag values have at least 1 character, so create-cluster fails`);
    }
    if (!keyOk) continue;
    const k = str(key)!;
    if (k.length > 128) ctx.issues.error("tag-length", key, `${key.where}: a tag key has at most 128 characters (it has ${k.length})`);
    else if (AWS_PREFIX.test(k)) {
      ctx.issues.error("pwb-tag-aws-prefix", key, `${key.where}: "${k.slice(0, 4)}" is AWS's reserved prefix (in any case): EC2 and CloudFormation refuse the tag when the cluster is created, though ParallelCluster's validators pass it`);
    } else if (k.startsWith(RESERVED_PREFIX)) ctx.issues.error("tag-reserved", key, `${key.where}: the "${RESERVED_PREFIX}" prefix is reserved for ParallelCluster's own tags`);
    else if (seen.has(k)) ctx.issues.error("tag-duplicate", key, `${key.where}: tag "${k}" is already set at line ${seen.get(k)!.position.line}`);
    else {
      seen.set(k, key);
      keys.push(k);
    }
  }
  return keys;
}

export function checkTags(ctx: RuleContext): void {
  const cluster = tagList(ctx, ctx.root.get("Tags"), true);
  // Once per Tags list: too many cluster tags are one problem, not one per compute resource.
  const reported = new Set<string>();
  for (const queue of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    const queueTags = tagList(ctx, queue.get("Tags"));
    for (const cr of queue.get("ComputeResources").items()) {
      const crTagsView = cr.get("Tags");
      const all = new Set([...cluster, ...queueTags, ...tagList(ctx, crTagsView)]);
      if (all.size > MAX_TAGS) {
        const at = crTagsView.exists ? crTagsView : queue.get("Tags").exists ? queue.get("Tags") : ctx.root.get("Tags");
        if (reported.has(at.where)) continue;
        reported.add(at.where);
        ctx.issues.error("tag-count", at, `${cr.where}: cluster, queue and compute resource tags together exceed ${MAX_TAGS} (${all.size})`, "key");
      }
    }
  }
}
