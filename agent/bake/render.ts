import { planJson, renderPlan, renderReport } from "../engine/render.js";
import type { ApplyReport, Change } from "../engine/types.js";

/** What a bake did: its plan, and (unless --dry-run) the apply's report. */
export interface BakeResult {
  changes: Change[];
  /** null for --dry-run. */
  report: ApplyReport | null;
}

/** The bake as a person reads it: the plan, then (unless --dry-run) what was applied. */
export function renderBake(r: BakeResult): string {
  if (r.report === null) return renderPlan(r.changes, "the image");
  const head = r.changes.length === 0 ? "bake: the image holds everything the site asks for.\n" : renderPlan(r.changes);
  return `${head}\n${renderReport(r.report)}`;
}

/** The bake for machines: the plan's changes and the apply report. */
export function bakeJson(r: BakeResult) {
  return { plan: planJson(r.changes), report: r.report };
}
