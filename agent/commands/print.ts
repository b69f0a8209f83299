import { planJson, renderPlan, renderReport } from "../engine/render.js";
import type { ApplyReport, Change } from "../engine/types.js";
import { ExitCode } from "../errors.js";

/** A plan on stdout, for a person or (--json) a machine; exit 10 when something is pending. */
export function printPlan(changes: Change[], json: boolean): number {
  process.stdout.write(json ? JSON.stringify(planJson(changes), null, 2) + "\n" : renderPlan(changes));
  return changes.length ? ExitCode.changesPending : ExitCode.ok;
}

export function printReport(report: ApplyReport, json: boolean): number {
  process.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : renderReport(report));
  return ExitCode.ok;
}
