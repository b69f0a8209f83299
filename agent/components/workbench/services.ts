import type { Resource } from "../../engine/types.js";
import { WORKBENCH_UNITS } from "./paths.js";

/**
 * Head and compute nodes never run Workbench, although its package enables both services wherever it
 * is installed. Disabled and stopped, not masked: the package's scripts run `systemctl enable` on
 * upgrade, which fails on a masked unit and would fail the package transaction.
 */
export function workbenchServicesOff(): Resource[] {
  return WORKBENCH_UNITS.map((name) => ({ kind: "service" as const, name, enabled: false, active: false }));
}
