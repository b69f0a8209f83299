// The writes of a tick: RegisterTargets and DeregisterTargets on the Workbench target group.
import type { Logger } from "../../log.js";
import type { Elbv2, TargetRef } from "../aws/elbv2.js";
import { describeError, hasCode } from "../aws/errors.js";
import type { TargetChange } from "./reconcile.js";
import type { AlbSyncReport } from "./report.js";
import type { SyncState } from "./state.js";

type Action = "register" | "deregister";

/**
 * One batch call; when AWS rejects the batch with InvalidTarget (one instance stopped or is long gone,
 * and AWS fails the whole call for it), one call per target, so the others still change.
 */
async function batchThenEach(
  call: (targets: TargetRef[]) => Promise<void>,
  changes: TargetChange[],
  action: Action,
  report: AlbSyncReport,
  state: SyncState,
): Promise<TargetChange[]> {
  const done: TargetChange[] = [];
  const failed = (ids: TargetChange[], e: unknown) => {
    report.failures.push(`${action === "register" ? "registering" : "deregistering"} ${ids.map((c) => c.id).join(", ")}: ${describeError(e)}`);
    if (hasCode(e, "TargetGroupNotFound")) state.workbench = null;
  };
  try {
    await call(changes);
    return changes;
  } catch (e) {
    if (!(hasCode(e, "InvalidTarget") && changes.length > 1)) {
      failed(changes, e);
      return done;
    }
  }
  for (const c of changes) {
    try {
      await call([c]);
      done.push(c);
    } catch (err) {
      failed([c], err);
    }
  }
  return done;
}

/** Registers first (capacity before removal), then deregisters; one log line per change. */
export async function applyChanges(elb: Elbv2, arn: string, register: TargetChange[], deregister: TargetChange[], state: SyncState, report: AlbSyncReport, log: Logger): Promise<void> {
  const line = (c: TargetChange, action: Action) => ({ action, target: c.id, port: c.port, pool: c.pool, reason: c.reason, targetGroupArn: arn });
  const before = report.failures.length;
  if (register.length) {
    const done = await batchThenEach((t) => elb.registerTargets(arn, t), register, "register", report, state);
    report.registered.push(...done);
    for (const c of done) log.info(line(c, "register"), `registered ${c.id} with the Workbench target group`);
  }
  if (deregister.length) {
    const done = await batchThenEach((t) => elb.deregisterTargets(arn, t), deregister, "deregister", report, state);
    report.deregistered.push(...done);
    for (const c of done) log.info(line(c, "deregister"), `deregistered ${c.id} from the Workbench target group`);
  }
  for (const f of report.failures.slice(before)) log.warn({ err: f }, "a target change failed");
}
