// Finding what `alb ensure` created earlier: by the configured name first (one call), then by its
// tags (a scan), so a re-run never creates a second one even after a name changed.
import { BadInputError } from "../errors.js";
import type { Elbv2, LoadBalancerInfo, Tags, TargetGroupInfo } from "./aws/elbv2.js";
import { PWB_MANAGED_BY, PWB_TAG_CLUSTER, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE, type PwbRole } from "./types.js";

export function ownedTags(cluster: string, role: PwbRole): Tags {
  return { [PWB_TAG_CLUSTER]: cluster, [PWB_TAG_ROLE]: role, [PWB_TAG_MANAGED_BY]: PWB_MANAGED_BY };
}

export const isOwned = (tags: Tags | undefined, cluster: string, role: PwbRole) => tags?.[PWB_TAG_CLUSTER] === cluster && tags?.[PWB_TAG_ROLE] === role;

export interface Owned<T> {
  item: T;
  /** Found under another name than the configured one. */
  renamed: boolean;
}

interface Lookup<T extends { arn: string; name: string }> {
  elb: Elbv2;
  cluster: string;
  role: PwbRole;
  name: string;
  /** How the setting is called where the operator sets it (a flag, a site key), for the conflict message. */
  settingName: string;
  byName: (name: string) => Promise<T | null>;
  all: () => Promise<T[]>;
}

async function findOwned<T extends { arn: string; name: string }>(l: Lookup<T>, kind: string): Promise<Owned<T> | null> {
  const named = await l.byName(l.name);
  if (named) {
    const tags = (await l.elb.tagsOf([named.arn])).get(named.arn);
    if (isOwned(tags, l.cluster, l.role)) return { item: named, renamed: false };
    throw new BadInputError(
      `${l.settingName}: a ${kind} named ${l.name} already exists and is not tagged ${PWB_TAG_CLUSTER}=${l.cluster}, ${PWB_TAG_ROLE}=${l.role}: ` +
        `pwb-agent did not create it for this cluster and will not take it over; choose another name`,
      { field: l.settingName },
    );
  }
  const candidates = await l.all();
  const tags = await l.elb.tagsOf(candidates.map((c) => c.arn));
  const match = candidates.find((c) => isOwned(tags.get(c.arn), l.cluster, l.role));
  return match ? { item: match, renamed: true } : null;
}

export function findOwnedTargetGroup(elb: Elbv2, cluster: string, name: string, vpcId: string, settingName: string): Promise<Owned<TargetGroupInfo> | null> {
  return findOwned(
    {
      elb, cluster, role: "workbench-target-group", name, settingName,
      byName: (n) => elb.targetGroupByName(n),
      // Only HTTP groups in the VPC can be ours: fewer DescribeTags calls in a large account.
      all: async () => (await elb.allTargetGroups()).filter((tg) => tg.vpcId === vpcId && tg.protocol === "HTTP"),
    },
    "target group",
  );
}

export function findOwnedLoadBalancer(elb: Elbv2, cluster: string, name: string, vpcId: string, settingName: string): Promise<Owned<LoadBalancerInfo> | null> {
  return findOwned(
    {
      elb, cluster, role: "workbench-alb", name, settingName,
      byName: (n) => elb.loadBalancerByName(n),
      all: async () => (await elb.allLoadBalancers()).filter((lb) => lb.type === "application" && lb.vpcId === vpcId),
    },
    "load balancer",
  );
}
