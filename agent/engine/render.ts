import type { ApplyReport, Change } from "./types.js";

const SIGN: Record<Change["action"], string> = {
  create: "+", install: "+", enable: "+", start: "+",
  update: "~", run: "!", restart: "!",
  delete: "-", disable: "-", stop: "-",
};

/** One pending change as every plan prints it: `kind:name`, what would happen, lines said about it. */
export type PlanEntry = Pick<Change, "id" | "action" | "summary"> & { diff?: string | null };

/**
 * A plan as a person reads it: one block per change, diffs indented beneath. The node's plan, `bake
 * --dry-run`, `alb ensure --dry-run` and `alb-sync --dry-run` all print this form; `subject` names
 * what is in its desired state when nothing is pending.
 */
export function renderPlan(changes: readonly PlanEntry[], subject = "the node"): string {
  if (changes.length === 0) return `No changes: ${subject} is in its desired state.\n`;
  const lines: string[] = [];
  for (const c of changes) {
    lines.push(`${SIGN[c.action]} ${c.id.replace(":", " ")}  (${c.action})`);
    for (const s of c.summary) lines.push(`    ${s}`);
    if (c.diff) for (const d of c.diff.split("\n")) lines.push(`    ${d}`);
  }
  lines.push("", `${changes.length} change${changes.length === 1 ? "" : "s"} pending.`);
  return lines.join("\n") + "\n";
}

/** The plan for machines; `resource` and `state` stay internal. */
export function planJson(changes: Change[]) {
  return {
    changes: changes.map((c) => ({ id: c.id, kind: c.kind, action: c.action, summary: c.summary, ...(c.diff ? { diff: c.diff } : {}) })),
    count: changes.length,
  };
}

export function renderReport(r: ApplyReport): string {
  const lines = [
    `Applied ${r.changes} change${r.changes === 1 ? "" : "s"} in ${r.durationMs} ms: ${r.filesWritten} files written (${r.bytesWritten} bytes), ${r.commandsRun} commands run, ${r.packagesInstalled} packages installed, ${r.downloads} downloads.`,
  ];
  for (const a of r.applied) lines.push(`  ${a.action.padEnd(7)} ${a.id}`);
  if (r.restarted.length) {
    // On a simulated root the restarts are recorded with the other commands, not run.
    const simulated = r.deferred.some((argv) => argv[1] === "try-restart");
    lines.push(`${simulated ? "To restart (listed below)" : "Restarted"}: ${r.restarted.join(", ")}`);
  }
  for (const n of r.notRestarted ?? []) lines.push(`Not restarted: ${n.unit} (${n.why})`);
  if (r.deferred.length) {
    lines.push("Not run on a simulated root (--root):");
    for (const argv of r.deferred) lines.push(`  ${argv.join(" ")}`);
  }
  return lines.join("\n") + "\n";
}
