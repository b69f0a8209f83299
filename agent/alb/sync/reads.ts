// The reads of a tick: which pools, each pool's NLB targets, the Workbench targets. A cached ARN
// that no longer exists (TargetGroupNotFound) is dropped and looked up again, once.
import type { Logger } from "../../log.js";
import type { Elbv2 } from "../aws/elbv2.js";
import { describeError, hasCode } from "../aws/errors.js";
import { findWorkbenchTargetGroup, type LoginPoolFinder } from "../discovery.js";
import type { ConfiguredPools } from "./pools.js";
import type { GroupRead, PoolRead } from "./reconcile.js";
import type { AlbSyncReport, PoolReport } from "./report.js";
import type { SyncState } from "./state.js";
import type { AlbSyncOptions } from "./options.js";
import { PC_TAG_CLUSTER, PC_TAG_POOL } from "../types.js";

/**
 * The pools to read: configured ones, else those discovered by tags (trusted for the discovery TTL).
 * A scan that sees fewer pools than the last complete one is a short answer (an empty last page, a
 * throttled call the SDK gave up on) unless each missing pool's target group is positively gone:
 * then the last complete view is read instead, nothing is cached, and the tick fails.
 */
export async function poolNames(
  o: AlbSyncOptions,
  state: SyncState,
  finder: LoginPoolFinder,
  configured: ConfiguredPools | null,
  report: AlbSyncReport,
  now: () => number,
): Promise<string[]> {
  if (configured) {
    report.poolSource = configured.source;
    return configured.pools;
  }
  report.poolSource = "discovered";
  const cached = state.discoveredPools;
  const lastGood = cached?.names ?? [];
  if (cached && cached.names.length && now() - cached.at < (o.discoveryTtlMs ?? 600_000)) return cached.names;
  let found: Map<string, string>;
  try {
    found = await finder.scanPools();
  } catch (e) {
    report.failures.push(`discovering login pools: ${describeError(e)}`);
    return lastGood;
  }
  const missing = lastGood.filter((p) => !found.has(p));
  const gone: string[] = [];
  for (const p of missing) {
    const arn = state.pools[p]?.targetGroupArn;
    if (arn && !(await finder.exists(arn))) gone.push(p);
  }
  const unconfirmed = missing.filter((p) => !gone.includes(p));
  if (unconfirmed.length) {
    report.failures.push(
      `discovering login pools: the scan found ${found.size} where the last complete one found ${lastGood.length} (missing ${unconfirmed.join(", ")}, whose target groups still exist); a short answer is not trusted`,
    );
    for (const [pool, arn] of found) if (!state.pools[pool]) state.pools[pool] = { targetGroupArn: arn, via: "tags" };
    return [...new Set([...lastGood, ...found.keys()])].sort();
  }
  if (found.size === 0) {
    report.failures.push(`no login pool found: no network load balancer is tagged ${PC_TAG_CLUSTER}=${o.cluster} with a login pool`);
    return [];
  }
  if (gone.length) o.log.info({ pools: gone }, "login pools removed: their NLB target groups no longer exist");
  const names = [...found.keys()].sort();
  state.discoveredPools = { names, at: now() };
  for (const [pool, arn] of found) state.pools[pool] = { targetGroupArn: arn, via: "tags" };
  o.log.info({ pools: names }, "discovered login pools by their load balancers' tags");
  return names;
}

/** One pool's NLB targets. A cached ARN that no longer exists is looked up again, once. */
export async function readPool(elb: Elbv2, finder: LoginPoolFinder, state: SyncState, pool: string, report: AlbSyncReport, log: Logger): Promise<PoolRead> {
  const entry: PoolReport = { pool, targetGroupArn: null, targets: null };
  report.pools.push(entry);
  const fail = (error: string): PoolRead => {
    entry.error = error;
    log.warn({ pool, err: error }, "cannot read the login pool's NLB target group");
    return { pool, ok: false, error };
  };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let cached = state.pools[pool];
    entry.via = "cache";
    if (!cached) {
      try {
        const found = await finder.find(pool);
        if (!found) return fail(`no NLB target group found by name or by tags ${PC_TAG_CLUSTER}=${state.cluster}, ${PC_TAG_POOL}=${pool}`);
        cached = state.pools[pool] = { targetGroupArn: found.arn, via: found.via };
        entry.via = found.via;
      } catch (e) {
        return fail(`looking up its NLB target group: ${describeError(e)}`);
      }
    }
    entry.targetGroupArn = cached.targetGroupArn;
    try {
      const targets = await elb.targetHealth(cached.targetGroupArn);
      entry.targets = targets.length;
      return { pool, ok: true, targets };
    } catch (e) {
      if (hasCode(e, "TargetGroupNotFound") && attempt === 0) {
        log.info({ pool, targetGroupArn: cached.targetGroupArn }, "the cached NLB target group no longer exists; looking it up again");
        delete state.pools[pool];
        continue;
      }
      return fail(describeError(e));
    }
  }
  return fail("target group vanished twice while being read");
}

/** The Workbench target group's targets: the given ARN, else the cached one, else found by name and tags. */
export async function readWorkbench(elb: Elbv2, o: AlbSyncOptions, state: SyncState, report: AlbSyncReport, log: Logger): Promise<GroupRead> {
  const name = o.targetGroupName;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let arn = o.targetGroupArn;
    if (!arn) {
      const cached = state.workbench?.targetGroupName === name ? state.workbench.targetGroupArn : undefined;
      if (cached) arn = cached;
      else {
        try {
          const found = await findWorkbenchTargetGroup(elb, o.cluster, name);
          if (!found.ok) return { ok: false, error: found.error };
          arn = found.arn;
          state.workbench = { targetGroupName: name, targetGroupArn: arn };
        } catch (e) {
          return { ok: false, error: `looking up ${name}: ${describeError(e)}` };
        }
      }
    }
    report.workbenchTargetGroupArn = arn;
    try {
      return { ok: true, targets: await elb.targetHealth(arn) };
    } catch (e) {
      if (hasCode(e, "TargetGroupNotFound") && !o.targetGroupArn && attempt === 0) {
        log.info({ targetGroupArn: arn }, "the cached Workbench target group no longer exists; looking it up again");
        state.workbench = null;
        continue;
      }
      return { ok: false, error: describeError(e) };
    }
  }
  return { ok: false, error: "target group vanished twice while being read" };
}
