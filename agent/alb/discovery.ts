// Finding the target groups the sync reads: each login pool's NLB target group (ParallelCluster's
// deterministic name, verified by its tags; else ParallelCluster's own tag scan) and the Workbench one.
import type { Elbv2 } from "./aws/elbv2.js";
import { hasCode, IncompleteAnswer } from "./aws/errors.js";
import { loginPoolTargetGroupName } from "./names.js";
import { PC_TAG_CLUSTER, PC_TAG_POOL, PWB_TAG_CLUSTER } from "./types.js";

export interface FoundTargetGroup {
  arn: string;
  via: "name" | "tags";
}

export class LoginPoolFinder {
  private scan: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly elb: Elbv2,
    private readonly cluster: string,
  ) {}

  /**
   * Every login pool of the cluster → its NLB target group, the way ParallelCluster finds them:
   * all load balancers (paginated), their tags 20 ARNs at a time, the NLBs tagged with both the
   * cluster and a pool, then each one's target group. Costly in a large account, so done once per run
   * and only when the name lookup fails (ParallelCluster before 3.8) or pools must be discovered.
   */
  scanPools(): Promise<Map<string, string>> {
    this.scan ??= (async () => {
      const nlbs = (await this.elb.allLoadBalancers()).filter((lb) => lb.type === "network");
      const tags = await this.elb.tagsOf(nlbs.map((lb) => lb.arn));
      const untagged = nlbs.filter((lb) => !tags.has(lb.arn)).length;
      // Every ELB resource has a tag description, even with no tags: a missing one is a short answer.
      if (untagged) throw new IncompleteAnswer(`DescribeTags answered for ${nlbs.length - untagged} of ${nlbs.length} load balancers`);
      const out = new Map<string, string>();
      for (const lb of nlbs) {
        const t = tags.get(lb.arn)!;
        const pool = t[PC_TAG_POOL];
        if (t[PC_TAG_CLUSTER] !== this.cluster || !pool || out.has(pool)) continue;
        const tgs = await this.elb.targetGroupsOfLoadBalancer(lb.arn);
        const tg = tgs.find((g) => g.targetType === "instance") ?? tgs[0];
        // ParallelCluster always gives a pool's NLB its target group; none listed is a short answer.
        if (!tg) throw new IncompleteAnswer(`DescribeTargetGroups listed no target group for ${lb.name}, the NLB of login pool ${pool}`);
        out.set(pool, tg.arn);
      }
      return out;
    })();
    // A failed scan may be retried by a later caller.
    this.scan.catch(() => (this.scan = null));
    return this.scan;
  }

  /**
   * Whether a target group is still there: false only on AWS's own TargetGroupNotFound (positive
   * evidence that a pool was removed); any other answer or error counts as "still there".
   */
  async exists(targetGroupArn: string): Promise<boolean> {
    try {
      await this.elb.targetHealth(targetGroupArn);
      return true;
    } catch (e) {
      if (hasCode(e, "TargetGroupNotFound")) return false;
      return true;
    }
  }

  /** One pool's NLB target group, or null when neither the name nor the tags find it. */
  async find(pool: string): Promise<FoundTargetGroup | null> {
    const byName = await this.elb.targetGroupByName(loginPoolTargetGroupName(this.cluster, pool));
    if (byName) {
      const tags = (await this.elb.tagsOf([byName.arn])).get(byName.arn) ?? {};
      // The name is a hash prefix; the tags make sure it is this cluster's pool.
      if (tags[PC_TAG_CLUSTER] === this.cluster && tags[PC_TAG_POOL] === pool) return { arn: byName.arn, via: "name" };
    }
    const arn = (await this.scanPools()).get(pool);
    return arn ? { arn, via: "tags" } : null;
  }
}

export type WorkbenchLookup = { ok: true; arn: string } | { ok: false; error: string };

/** The Workbench target group `alb ensure` made: found by name, accepted only with this cluster's tag. */
export async function findWorkbenchTargetGroup(elb: Elbv2, cluster: string, name: string): Promise<WorkbenchLookup> {
  const tg = await elb.targetGroupByName(name);
  if (!tg) return { ok: false, error: `no target group named ${name}: create it with \`pwb-agent alb ensure\` (or name it with --target-group-name)` };
  const tags = (await elb.tagsOf([tg.arn])).get(tg.arn) ?? {};
  if (tags[PWB_TAG_CLUSTER] !== cluster) {
    return {
      ok: false,
      error: `target group ${name} is not tagged ${PWB_TAG_CLUSTER}=${cluster}; refusing to manage a group this cluster did not create (pass --target-group-arn to override)`,
    };
  }
  return { ok: true, arn: tg.arn };
}
