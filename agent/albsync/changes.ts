// The writes of a tick: RegisterTargets and DeregisterTargets on the Workbench target group.
import type { Logger } from "../log.js";
import type { Elbv2 } from "./aws/elbv2.js";
import { describeError, hasCode } from "./aws/errors.js";
import type { Change } from "./reconcile.js";
import type { AlbSyncReport } from "./report.js";
import type { SyncState } from "./state.js";

/** Registers first (capacity before removal), then deregisters; one log line per change. */
export async function applyChanges(elb: Elbv2, arn: string, register: Change[], deregister: Change[], state: SyncState, report: AlbSyncReport, log: Logger): Promise<void> {
  const line = (c: Change, action: "register" | "deregister") => ({ action, target: c.id, port: c.port, pool: c.pool, reason: c.reason, targetGroupArn: arn });
  if (register.length) {
    try {
      await elb.registerTargets(arn, register);
      report.registered.push(...register);
    } catch (e) {
      if (hasCode(e, "InvalidTarget") && register.length > 1) {
        // One instance that stopped running fails the whole batch: keep the others.
        for (const c of register) {
          try {
            await elb.registerTargets(arn, [c]);
            report.registered.push(c);
          } catch (err) {
            report.failures.push(`registering ${c.id}: ${describeError(err)}`);
          }
        }
      } else {
        report.failures.push(`registering ${register.map((c) => c.id).join(", ")}: ${describeError(e)}`);
        if (hasCode(e, "TargetGroupNotFound")) state.workbench = null;
      }
    }
    for (const c of report.registered) log.info(line(c, "register"), `registered ${c.id} with the Workbench target group`);
  }
  if (deregister.length) {
    try {
      await elb.deregisterTargets(arn, deregister);
      report.deregistered.push(...deregister);
      for (const c of deregister) log.info(line(c, "deregister"), `deregistered ${c.id} from the Workbench target group`);
    } catch (e) {
      report.failures.push(`deregistering ${deregister.map((c) => c.id).join(", ")}: ${describeError(e)}`);
      if (hasCode(e, "TargetGroupNotFound")) state.workbench = null;
    }
  }
  for (const f of report.failures) if (f.startsWith("registering") || f.startsWith("deregistering")) log.warn({ err: f }, "a target change failed");
}
