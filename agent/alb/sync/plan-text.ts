// alb-sync --dry-run in the form every plan prints (agent/engine/render.ts): a target in the Workbench
// target group is created (registered) or deleted (deregistered); what the guards hold back is said too.
import { renderPlan, type PlanEntry } from "../../engine/render.js";
import type { AlbSyncReport } from "./report.js";
import type { TargetChange } from "./reconcile.js";

const entry = (c: TargetChange, action: "create" | "delete"): PlanEntry => ({
  id: `target:${c.id}:${c.port}`,
  action,
  summary: [`${action === "create" ? "register" : "deregister"}: ${c.reason}${c.pool ? ` (login pool ${c.pool})` : ""}`],
});

export function renderSyncPlan(r: AlbSyncReport): string {
  const entries = [...r.registered.map((c) => entry(c, "create")), ...r.deregistered.map((c) => entry(c, "delete"))];
  const kept = [
    ...r.held.map((c) => `held back (more than the allowed share at once): ${c.id}:${c.port}`),
    ...r.blocked.map((c) => `kept (a read failed or came back empty): ${c.id}:${c.port}`),
    ...r.failures.map((f) => `failed: ${f}`),
  ];
  return renderPlan(entries, "the Workbench target group") + kept.map((k) => `${k}\n`).join("");
}
