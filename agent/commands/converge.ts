import { activeComponents, desiredState, gatherInputs } from "../components/index.js";
import { apply } from "../engine/apply.js";
import { acquireLock, LOCK_PATH } from "../engine/lock.js";
import { plan } from "../engine/plan.js";
import { planJson, renderPlan, renderReport } from "../engine/render.js";
import type { Root } from "../engine/root.js";
import type { ApplyReport, Change } from "../engine/types.js";
import { ExitCode } from "../errors.js";
import type { Facts } from "../facts/types.js";
import type { Logger } from "../log.js";
import type { SiteConfig } from "../site/types.js";
import { engineContext } from "./context.js";

export interface ConvergeOptions {
  /** Limit to these components (e.g. ["units"] for `units install`). */
  only?: readonly string[];
  /** The validated site config; null or absent: components that need one are skipped (logged). */
  site?: SiteConfig | null;
}

/** Components' gather steps, then their pure desired state. */
export async function desired(root: Root, facts: Facts, log: Logger, o: ConvergeOptions, mode: "plan" | "apply") {
  const site = o.site ?? null;
  const components = activeComponents(facts, site, o.only, log);
  const inputs = await gatherInputs(components, facts, site, { root, log, mode });
  return desiredState(facts, site, o.only, inputs, components);
}

export async function planNode(root: Root, facts: Facts, log: Logger, o: ConvergeOptions = {}): Promise<Change[]> {
  const resources = await desired(root, facts, log, o, "plan");
  return plan(resources, engineContext(root, facts, log, true));
}

/** Plan and apply under the apply lock, so the plan applied is the one read while holding it. */
export async function applyNode(
  root: Root,
  facts: Facts,
  log: Logger,
  o: ConvergeOptions & { lockTimeoutMs: number },
): Promise<ApplyReport> {
  const ctx = engineContext(root, facts, log, false);
  const lock = await acquireLock(await root.confined(LOCK_PATH, { followLeaf: false }), o.lockTimeoutMs);
  try {
    // Gathered under the lock: two applies must not both find a key absent and generate two.
    const resources = await desired(root, facts, log, o, "apply");
    const changes = await plan(resources, ctx);
    const report = await apply(changes, resources, ctx);
    log.info({ changes: report.changes, filesWritten: report.filesWritten, restarted: report.restarted, durationMs: report.durationMs }, "apply finished");
    return report;
  } finally {
    await lock.release();
  }
}

export function printPlan(changes: Change[], json: boolean): number {
  process.stdout.write(json ? JSON.stringify(planJson(changes), null, 2) + "\n" : renderPlan(changes));
  return changes.length ? ExitCode.changesPending : ExitCode.ok;
}

export function printReport(report: ApplyReport, json: boolean): number {
  process.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report));
  return ExitCode.ok;
}
