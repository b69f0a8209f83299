// A login node's own place in the Workbench target group: in as soon as its Workbench answers, out
// (deregistered, drained) before Workbench stops or the Auto Scaling group terminates the node.
// The head node's alb-sync stays the reconciler that repairs whatever this missed.
import { readMetadata, type ImdsSettings } from "../facts/imds.js";
import type { Logger } from "../log.js";
import { Elbv2, type TargetRef } from "./aws/elbv2.js";
import { describeError } from "./aws/errors.js";
import { ApiCallStats, type AwsClientOptions } from "./aws/sdk.js";
import { findWorkbenchTargetGroup } from "./discovery.js";

export const LIFECYCLE_PATH = "/latest/meta-data/autoscaling/target-lifecycle-state";

export interface SelfOptions {
  cluster: string;
  region: string;
  log: Logger;
  /** This node (IMDS). */
  instanceId: string;
  targetGroupName: string;
  /** Use this target group as is (no lookup by name and tag). */
  targetGroupArn?: string;
  targetPort: number;
  healthCheckPath: string;
  /** Where this node's Workbench answers; default http://127.0.0.1:<targetPort>. */
  workbenchUrl?: string;
  aws?: Omit<AwsClientOptions, "region">;
  /** Between target health reads and lifecycle reads (default 1 s); Workbench's local probe runs 4× as often. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface RegisterReport {
  targetGroupArn: string;
  instanceId: string;
  /** Workbench answered its health check after this long. */
  workbenchReadyMs: number;
  /** RegisterTargets accepted after this long (lookups, retries). */
  registeredMs: number;
  /** The ALB said `healthy` after this long (null: not waited for, or not within the wait). */
  healthyMs: number | null;
  apiCalls: number;
}

export interface DeregisterReport {
  targetGroupArn: string;
  instanceId: string;
  /** How long the ALB kept the target draining before it was gone (or the wait ended). */
  drainedMs: number;
  /** The target's last state: `unused` once gone; `draining` if the wait ran out first. */
  finalState: string;
  apiCalls: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** Polls Workbench's own health endpoint on this node until it answers 200; the time it took. */
export async function waitForWorkbench(o: SelfOptions): Promise<number> {
  const url = `${o.workbenchUrl ?? `http://127.0.0.1:${o.targetPort}`}${o.healthCheckPath}`;
  const started = Date.now();
  let said = "";
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(2_000), ...(o.signal ? [o.signal] : [])]) });
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 200) return Date.now() - started;
      said = `HTTP ${res.status}`;
    } catch (e) {
      if (o.signal?.aborted) throw e;
      said = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    }
    o.log.debug({ url, answer: said }, "Workbench is not answering its health check yet");
    // A local probe is cheap; every 250 ms of it is 250 ms more before the ALB can route to the node.
    await sleep((o.pollMs ?? 1_000) / 4, o.signal);
  }
}

async function targetGroup(elb: Elbv2, o: SelfOptions): Promise<string> {
  if (o.targetGroupArn) return o.targetGroupArn;
  const found = await findWorkbenchTargetGroup(elb, o.cluster, o.targetGroupName);
  if (!found.ok) throw new Error(found.error);
  return found.arn;
}

/** Retries `fn` with a doubling pause (up to 30 s) until it succeeds or the signal aborts. */
async function persist<T>(o: SelfOptions, what: string, fn: () => Promise<T>): Promise<T> {
  let pause = o.pollMs ?? 1_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (o.signal?.aborted) throw e;
      o.log.warn({ err: describeError(e), retryInMs: pause }, `${what} failed; trying again`);
      await sleep(pause, o.signal);
      pause = Math.min(pause * 2, 30_000);
    }
  }
}

/**
 * Waits for this node's Workbench, then registers the node with the Workbench target group (AWS
 * failures are retried: the node must not stay out because of one throttled call). With
 * `waitHealthyMs`, also waits that long for the ALB's own health check to call it healthy.
 */
export async function registerSelf(o: SelfOptions & { waitHealthyMs?: number }): Promise<RegisterReport> {
  const started = Date.now();
  const stats = new ApiCallStats();
  const elb = await Elbv2.open({ region: o.region, ...o.aws }, stats, o.signal);
  try {
    const me: TargetRef = { id: o.instanceId, port: o.targetPort };
    // The lookup runs while Workbench starts, so only RegisterTargets is left once it answers.
    const lookup = persist(o, "looking up the Workbench target group", () => targetGroup(elb, o));
    lookup.catch(() => undefined);
    const workbenchReadyMs = await waitForWorkbench(o);
    o.log.info({ ms: workbenchReadyMs }, "Workbench answers its health check on this node");
    const arn = await lookup;
    await persist(o, "registering this node with the Workbench target group", () => elb.registerTargets(arn, [me]));
    const registeredMs = Date.now() - started;
    o.log.info({ action: "register", target: me.id, port: me.port, targetGroupArn: arn }, `registered ${me.id} with the Workbench target group`);
    let healthyMs: number | null = null;
    if (o.waitHealthyMs) {
      const until = Date.now() + o.waitHealthyMs;
      while (Date.now() < until) {
        const [t] = await elb.targetHealthOf(arn, [me]).catch(() => []);
        if (t?.state === "healthy") {
          healthyMs = Date.now() - started;
          break;
        }
        await sleep(o.pollMs ?? 1_000, o.signal);
      }
    }
    return { targetGroupArn: arn, instanceId: me.id, workbenchReadyMs, registeredMs, healthyMs, apiCalls: stats.attempts };
  } finally {
    elb.close();
  }
}

/**
 * Deregisters this node and waits while the ALB drains it: until the target is gone, or the target
 * group's deregistration delay (plus a margin) has passed, or `maxWaitMs`. Workbench stops after.
 */
export async function deregisterSelf(o: SelfOptions & { maxWaitMs?: number }): Promise<DeregisterReport> {
  const stats = new ApiCallStats();
  const elb = await Elbv2.open({ region: o.region, ...o.aws }, stats, o.signal);
  try {
    const me: TargetRef = { id: o.instanceId, port: o.targetPort };
    const arn = await targetGroup(elb, o);
    const delayS = Number((await elb.targetGroupAttributes(arn)).get("deregistration_delay.timeout_seconds") ?? 300);
    await elb.deregisterTargets(arn, [me]);
    o.log.info({ action: "deregister", target: me.id, port: me.port, targetGroupArn: arn, delaySeconds: delayS }, `deregistered ${me.id}; waiting while the ALB drains it`);
    const started = Date.now();
    const until = started + Math.min((delayS + 10) * 1000, o.maxWaitMs ?? Infinity);
    let finalState = "draining";
    for (;;) {
      const [t] = await elb.targetHealthOf(arn, [me]).catch((e: unknown) => {
        o.log.warn({ err: describeError(e) }, "cannot read this node's target health; still waiting");
        return [{ id: me.id, port: me.port, state: "draining" }];
      });
      finalState = t?.state ?? "unused";
      if (finalState !== "draining") break;
      if (Date.now() >= until) {
        o.log.warn({ waitedMs: Date.now() - started }, "the ALB is still draining this node; letting Workbench stop anyway");
        break;
      }
      await sleep(o.pollMs ?? 1_000, o.signal);
    }
    const drainedMs = Date.now() - started;
    o.log.info({ drainedMs, state: finalState }, "drained from the Workbench ALB");
    return { targetGroupArn: arn, instanceId: me.id, drainedMs, finalState, apiCalls: stats.attempts };
  } finally {
    elb.close();
  }
}

/**
 * Resolves when IMDS says the Auto Scaling group is terminating this node (`Terminated`), or with
 * "not-in-asg" when IMDS has no lifecycle state for it. Unreadable IMDS is retried, never fatal.
 */
export async function lifecycleTerminated(o: SelfOptions & { imds: ImdsSettings }): Promise<"terminated" | "not-in-asg"> {
  let last: string | null | undefined;
  for (;;) {
    try {
      const state = await readMetadata(o.imds, LIFECYCLE_PATH);
      if (state === null) return "not-in-asg";
      if (state !== last) o.log.info({ lifecycleState: state }, "Auto Scaling target lifecycle state");
      last = state;
      if (state === "Terminated") return "terminated";
    } catch (e) {
      o.log.debug({ err: (e as Error).message }, "cannot read the lifecycle state from IMDS; trying again");
    }
    await sleep(o.pollMs ?? 1_000, o.signal);
  }
}
