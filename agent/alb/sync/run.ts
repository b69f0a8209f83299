// One `alb-sync` tick: lock, read both sides, decide (reconcile), change, remember, export.
import { acquireLock, type Lock } from "../../engine/lock.js";
import { RuntimeFailure } from "../../errors.js";
import { Ec2 } from "../aws/ec2.js";
import { Elbv2 } from "../aws/elbv2.js";
import { describeError } from "../aws/errors.js";
import { ApiCallStats } from "../aws/sdk.js";
import { applyChanges } from "./changes.js";
import { LoginPoolFinder } from "../discovery.js";
import { ALB_DEFAULTS } from "../settings.js";
import { renderMetrics, writeMetrics } from "./metrics.js";
import { configuredPools } from "./pools.js";
import { poolNames, readPool, readWorkbench } from "./reads.js";
import { DEFAULT_GUARD_POLICY, reconcile, type ReconcileInput } from "./reconcile.js";
import { emptyReport, type AlbSyncReport } from "./report.js";
import { PC_TAG_CLUSTER, PC_TAG_INSTANCE_POOL, type ObservedTarget } from "../types.js";
import { resolveTextfileDir } from "../../metrics/textfile-dir.js";
import { LOCK_PATH, METRICS_FILE, STATE_PATH, loadState, saveState, type SyncState } from "./state.js";

import type { AlbSyncOptions } from "./options.js";

export type { AlbSyncOptions };
export type { AlbSyncReport, PoolReport, SyncOutcome } from "./report.js";

export async function runAlbSync(o: AlbSyncOptions): Promise<AlbSyncReport> {
  const now = o.now ?? Date.now;
  const started = now();
  let lock: Lock;
  try {
    lock = await acquireLock(o.root, o.lockPath ?? LOCK_PATH, o.lockTimeoutMs ?? 2_000);
  } catch (e) {
    if (!(e instanceof RuntimeFailure)) throw e;
    // Another run is mutating; a second writer is exactly what the lock prevents.
    o.log.info({ lock: o.lockPath ?? LOCK_PATH }, "another alb-sync run holds the lock; leaving without changes");
    return { ...emptyReport(o), outcome: "locked", durationMs: now() - started };
  }
  try {
    return await tick(o, now, started);
  } finally {
    await lock.release();
  }
}

interface TickContext {
  o: AlbSyncOptions;
  now: () => number;
  started: number;
  report: AlbSyncReport;
  state: SyncState;
  stats: ApiCallStats;
  dryRun: boolean;
}

async function tick(o: AlbSyncOptions, now: () => number, started: number): Promise<AlbSyncReport> {
  const t: TickContext = {
    o, now, started,
    report: emptyReport(o),
    state: await loadState(o.root, o.statePath ?? STATE_PATH, o.cluster, o.region, o.log),
    stats: new ApiCallStats(),
    dryRun: o.dryRun ?? false,
  };
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(), o.deadlineMs ?? 20_000);
  deadline.unref();
  const clients: { elb: Elbv2 | null; ec2: Ec2 | null } = { elb: null, ec2: null };
  try {
    await decideAndApply(t, clients, abort.signal);
  } catch (e) {
    // Anything unexpected (the SDK failing to load, the deadline while discovering): a failed tick, not a crash.
    t.report.failures.push(describeError(e));
    o.log.error({ err: describeError(e) }, "alb-sync tick failed");
  } finally {
    clearTimeout(deadline);
    clients.elb?.close();
    clients.ec2?.close();
  }
  return finish(t);
}

async function decideAndApply(t: TickContext, clients: { elb: Elbv2 | null; ec2: Ec2 | null }, signal: AbortSignal): Promise<void> {
  const { o, report, state } = t;
  const log = o.log;
  const configured = await configuredPools(o.root, o.pools, log);
  if (configured && configured.pools.length === 0) {
    report.poolSource = configured.source;
    report.outcome = "no-pools";
    log.debug("the cluster has no login pools; nothing to sync");
    return;
  }
  const elb = (clients.elb = await Elbv2.open({ region: o.region, ...o.aws }, t.stats, signal));
  const finder = new LoginPoolFinder(elb, o.cluster);

  const pools = await poolNames(o, state, finder, configured, report, t.now);
  for (const p of Object.keys(state.pools)) if (!pools.includes(p)) delete state.pools[p];

  const [poolReads, workbench] = await Promise.all([
    Promise.all(pools.map((p) => readPool(elb, finder, state, p, report, log))),
    readWorkbench(elb, o, state, report, log),
  ]);
  const idle = new Set(configured?.idle ?? []);
  for (const r of poolReads) if (idle.has(r.pool)) r.idle = true;
  const port = o.targetPort ?? ALB_DEFAULTS.targetPort;
  const workbenchShort = workbench.ok && isShortWorkbenchRead(workbench.targets, port, report.workbenchTargetGroupArn, state);

  const policy = o.policy ?? DEFAULT_GUARD_POLICY;
  const input: ReconcileInput = { pools: poolReads, workbench, port, policy, guard: state.guard };
  let result = reconcile(input);
  // Absence alone is the weakest evidence: before acting on it, EC2 says whether those nodes still run.
  const absent = [...result.deregister, ...result.held].filter((c) => c.reason === "gone-from-nlb").map((c) => c.id);
  if (absent.length) {
    const instances = await instanceFacts(t, clients, absent, signal);
    result = reconcile({ ...input, instances });
    if (!(instances instanceof Map)) report.failures.push(`EC2: ${instances.error}`);
    else if (result.blocked.length) report.failures.push(...result.blockReasons.filter((r) => r.includes("which this tick did not read")));
  }
  Object.assign(report, {
    desired: result.desired, actual: result.actual, held: result.held, blocked: result.blocked,
    blockReasons: result.blockReasons, drift: result.drift,
  });
  for (const r of poolReads) {
    if (!r.ok) report.failures.push(`login pool ${r.pool}: ${r.error}`);
    // Never in-sync on an empty NLB read: a pool with nodes always lists them, even while they start.
    else if (r.targets.length === 0 && !r.idle) report.failures.push(`login pool ${r.pool}: its NLB target group listed no targets; not trusted (set Count: 0 in the cluster configuration for a pool meant to be empty)`);
  }
  if (!workbench.ok) report.failures.push(`Workbench target group: ${workbench.error}`);
  if (workbenchShort) {
    report.failures.push(`Workbench target group: listed no targets where ${state.workbenchTargets?.count} were registered after the last tick; not trusted (registrations only)`);
  }
  if (result.held.length) {
    log.warn(
      { held: result.held.map((c) => c.id), streak: result.guard.streak, confirmTicks: policy.confirmTicks },
      `holding back ${result.held.length} deregistrations: more than the allowed share at once; waiting for the same answer on consecutive ticks`,
    );
  }
  if (result.blocked.length) {
    log.warn({ kept: result.blocked.map((c) => c.id), because: result.blockReasons }, `keeping ${result.blocked.length} targets absent from the NLB reads: a read failed or came back empty`);
  }
  if (!t.dryRun) state.guard = result.guard;

  const arn = report.workbenchTargetGroupArn;
  if (!arn || !workbench.ok) return;
  if (t.dryRun) {
    report.registered = result.register;
    report.deregistered = result.deregister;
    for (const c of result.register) log.info({ action: "register", target: c.id, port: c.port, pool: c.pool, reason: c.reason }, `would register ${c.id}`);
    for (const c of result.deregister) log.info({ action: "deregister", target: c.id, port: c.port, pool: c.pool, reason: c.reason }, `would deregister ${c.id}`);
    return;
  }
  await applyChanges(elb, arn, result.register, result.deregister, state, report, log);
  // What the next tick should find: only from a read that was trusted.
  if (!workbenchShort) state.workbenchTargets = { targetGroupArn: arn, count: result.actual.length + report.registered.length - report.deregistered.length };
}

/**
 * An empty Workbench read right after a tick that left targets there is a short answer, not news:
 * nothing could be removed by it anyway, and registering (idempotent) is still safe; the tick fails.
 */
function isShortWorkbenchRead(targets: ObservedTarget[], port: number, arn: string | null, state: SyncState): boolean {
  const ours = targets.filter((t) => t.port === port && t.state !== "draining");
  const last = state.workbenchTargets;
  return ours.length === 0 && last !== null && last.targetGroupArn === arn && last.count > 0;
}

/** EC2's state and login pool of these instances, or why they could not be read. */
async function instanceFacts(
  t: TickContext,
  clients: { ec2: Ec2 | null },
  ids: string[],
  signal: AbortSignal,
): Promise<Map<string, { state: string; pool?: string }> | { error: string }> {
  try {
    const ec2 = (clients.ec2 ??= await Ec2.open({ region: t.o.region, ...t.o.aws }, t.stats, signal));
    const found = await ec2.instances(ids);
    const out = new Map<string, { state: string; pool?: string }>();
    for (const [id, f] of found) {
      const pool = f.tags[PC_TAG_CLUSTER] === t.o.cluster ? f.tags[PC_TAG_INSTANCE_POOL] : undefined;
      out.set(id, { state: f.state, ...(pool ? { pool } : {}) });
    }
    return out;
  } catch (e) {
    return { error: `reading the instances absent from the NLBs: ${describeError(e)}` };
  }
}

/** The failures that are short answers rather than errors (their wording is set where they are found). */
const UNTRUSTED = /IncompleteAnswer|not trusted|which this tick did not read/;

/** The outcome, then (unless a dry run) the state and the Prometheus textfile, each written atomically. */
async function finish(t: TickContext): Promise<AlbSyncReport> {
  const { o, report, state, stats } = t;
  report.apiCalls = stats.attempts;
  report.durationMs = t.now() - t.started;
  const success = report.failures.length === 0;
  report.untrustedReads = report.failures.filter((f) => UNTRUSTED.test(f)).length;
  if (!success) {
    report.outcome = "failed";
    o.log.warn({ failures: report.failures, untrustedReads: report.untrustedReads }, "alb-sync tick failed: no target was removed on the strength of a failed or short read");
  }
  else if (report.outcome !== "no-pools") {
    report.outcome = t.dryRun ? "dry-run" : report.registered.length || report.deregistered.length ? "changed" : "in-sync";
  }
  if (t.dryRun) return report;
  const ended = t.now();
  state.lastRun = ended;
  state.counters.ticks += 1;
  state.counters.apiCalls += stats.attempts;
  state.counters.apiErrors += stats.errors;
  state.counters.throttled += stats.throttled;
  state.counters.registered += report.registered.length;
  state.counters.deregistered += report.deregistered.length;
  state.counters.untrustedReads += report.untrustedReads;
  if (success) {
    state.lastSuccess = ended;
    state.consecutiveFailures = 0;
  } else {
    state.consecutiveFailures += 1;
    state.counters.failedTicks += 1;
  }
  await saveState(o.root, o.statePath ?? STATE_PATH, state);
  const metricsPath = o.metricsPath === undefined ? `${(await resolveTextfileDir(o.root, o.textfileDirectory)).dir}/${METRICS_FILE}` : o.metricsPath;
  if (metricsPath) {
    const text = renderMetrics(state, {
      success,
      durationMs: report.durationMs,
      apiCalls: stats.attempts,
      desired: report.desired.length,
      actual: report.actual.length,
      drift: report.drift,
      held: report.held.length,
      blocked: report.blocked.length,
    });
    await writeMetrics(o.root, metricsPath, text);
  }
  return report;
}

