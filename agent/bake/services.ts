import { apply } from "../engine/apply.js";
import { plan } from "../engine/plan.js";
import type { EngineContext, ServiceResource } from "../engine/types.js";

/** The units the Workbench package ships. */
export const WORKBENCH_UNITS = ["rstudio-server.service", "rstudio-launcher.service"];

/**
 * An AMI serves every role, and only login nodes run Workbench: the package's postinst enables and
 * starts its services, so bake takes that back (enablement links removed, stopped on a live node).
 * `pwb-agent apply` enables them on login nodes. Goes through the engine's service resource so the
 * links are handled exactly as apply handles them. Returns the units whose state changed.
 */
export async function disableWorkbenchServices(ctx: EngineContext): Promise<string[]> {
  const resources: ServiceResource[] = WORKBENCH_UNITS.map((name) => ({ kind: "service", name, enabled: false, active: false }));
  const changes = await plan(resources, ctx);
  if (changes.length === 0) return [];
  const report = await apply(changes, resources, ctx);
  return report.applied.map((a) => a.id.replace(/^service:/, ""));
}
