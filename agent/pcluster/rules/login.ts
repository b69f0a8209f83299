import { SESSIONS_TAG, loginNodesFor } from "../sizing.js";
import { SINCE, formatVersion } from "../versions.js";
import { intIn, mapItems, need, since, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";
import { checkResourceName, checkUnique } from "./names.js";

const MAX_POOLS = 10;
/** Workbench's load balancing needs at least two login nodes behind the ALB. */
const MIN_LOGIN_NODES = 2;

/** Expected concurrent sessions: --sessions, else the tag `cluster-config render` writes. */
function expectedSessions(ctx: RuleContext): number | undefined {
  if (ctx.sessions !== undefined) return ctx.sessions;
  const tag = ctx.root.get("Tags").items().find((t) => str(t.get("Key")) === SESSIONS_TAG);
  const n = tag ? Number(str(tag.get("Value"))) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function checkLoginNodes(ctx: RuleContext): void {
  const login = ctx.root.get("LoginNodes");
  if (!login.exists) {
    ctx.issues.error("pwb-login-pool", ctx.root, `LoginNodes is required: Workbench runs on a login pool of at least ${MIN_LOGIN_NODES} nodes behind the load balancer`, "key");
    return;
  }
  if (!need(ctx, login, "map")) return;
  const poolsView = login.get("Pools");
  if (!need(ctx, poolsView, "list")) return;
  const pools = mapItems(ctx, poolsView);
  if (pools.length === 0) {
    ctx.issues.error("pwb-login-pool", poolsView, `${poolsView.where}: at least one login pool is required for Workbench`);
    return;
  }
  const maxPools = since(ctx, SINCE.multipleLoginPools) ? MAX_POOLS : 1;
  if (pools.length > maxPools) {
    ctx.issues.error("login-pool-count", pools[maxPools]!, `${poolsView.where}: ParallelCluster ${formatVersion(ctx.version)} allows ${maxPools === 1 ? "one login pool" : `at most ${maxPools} login pools`}`);
  }

  const names: Array<{ name: string; at: YView }> = [];
  const counts: Array<{ pool: YView; count: number; at: YView }> = [];
  for (const pool of pools) {
    const nameView = pool.get("Name");
    const name = need(ctx, nameView, "string") ? checkResourceName(ctx, nameView, "login pool") : undefined;
    if (name) names.push({ name, at: nameView });
    need(ctx, pool.get("InstanceType"), "string");
    const countView = pool.get("Count");
    if (need(ctx, countView, "integer")) {
      const count = intIn(ctx, countView, 0, Number.MAX_SAFE_INTEGER, "Count");
      if (count !== undefined) counts.push({ pool, count, at: countView });
    }
    const grace = pool.get("GracetimePeriod");
    // Schema Range(3, 120) since 3.8 (raised from 1 before login nodes were released).
    if (grace.exists) intIn(ctx, grace, 3, 120, "GracetimePeriod (minutes)");
  }
  checkUnique(ctx, names, "login pool");

  // A pool below two nodes is fine next to one that has them (e.g. an SSH-only pool).
  const serving = counts.filter((c) => c.count >= MIN_LOGIN_NODES);
  for (const c of counts.filter((x) => x.count < MIN_LOGIN_NODES)) {
    const message = `${c.at.where}: ${c.count} login node${c.count === 1 ? "" : "s"}; Workbench's load balancing needs at least ${MIN_LOGIN_NODES}`;
    if (serving.length) ctx.issues.warn("pwb-login-count", c.at, message);
    else ctx.issues.error("pwb-login-count", c.at, message);
  }

  const sessions = expectedSessions(ctx);
  if (sessions !== undefined && counts.length) {
    const total = counts.reduce((n, c) => n + c.count, 0);
    const want = loginNodesFor(sessions);
    if (total < want) {
      const at = (serving[0] ?? counts[0]!).at;
      ctx.issues.warn(
        "pwb-login-sizing",
        at,
        `${at.where}: ${total} login node${total === 1 ? "" : "s"} for ${sessions} concurrent sessions; Posit's tested sizing is ${want} (500 → 2, 1000 → 4, 2000+ → 6)`,
      );
    }
  }
}
