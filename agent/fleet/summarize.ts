import type { FleetSubcommand } from "./document.js";
import type { InvocationDetail, Outcome } from "./types.js";

/** `plan`'s exit code for "changes pending" (README "Exit codes"): drift, not a failure. */
const CHANGES_PENDING = 10;

export function outcomeOf(sub: FleetSubcommand, d: InvocationDetail): Outcome {
  if (d.status === "Success") return "ok";
  if (sub === "plan" && d.responseCode === CHANGES_PENDING) return "changes-pending";
  if (d.status === "TimedOut" || d.status === "DeliveryTimedOut" || d.status === "ExecutionTimedOut") return "timed-out";
  if (d.status === "Cancelled" || d.status === "Undeliverable" || d.status === "Terminated") return "not-run";
  return "failed";
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const firstLine = (text: string) => text.split("\n").map((l) => l.trim()).find(Boolean) ?? "";
const clip = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** The node's role from the agent's JSON (detect and doctor print it), else null. */
export function roleOf(stdout: string): string | null {
  const j = parseJson(stdout);
  return typeof j?.role === "string" ? j.role : null;
}

/**
 * One line for the table, from the agent's JSON output when it printed some (the document asks for
 * --json), else the first line it wrote. A failure shows stderr first: that is where the reason is.
 */
export function summaryOf(sub: FleetSubcommand, d: InvocationDetail): string {
  const j = parseJson(d.stdout);
  if (j) {
    if (sub === "detect") {
      const os = j.os as { id?: string; version?: string } | undefined;
      const cluster = j.cluster as { name?: string | null; queue?: string | null; pool?: string | null } | undefined;
      const where = cluster?.pool ? `pool ${cluster.pool}` : cluster?.queue ? `queue ${cluster.queue}` : "";
      return clip([`${j.role ?? "?"}`, where, os?.id ? `${os.id} ${os.version ?? ""}`.trim() : ""].filter(Boolean).join(", "));
    }
    if (sub === "plan" && typeof j.count === "number") return j.count === 0 ? "in sync" : `${plural(j.count, "change")} pending`;
    if (sub === "apply" && typeof j.changes === "number") {
      const restarted = Array.isArray(j.restarted) && j.restarted.length ? `; restarted ${j.restarted.join(", ")}` : "";
      return clip(`${plural(j.changes, "change")} applied${restarted}`);
    }
    if (sub === "doctor" && Array.isArray(j.checks)) {
      const checks = j.checks as Array<{ status?: string; name?: string }>;
      const failed = checks.filter((c) => c.status === "fail" || c.status === "FAIL");
      return failed.length ? clip(`${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.name ?? "?").join(", ")}`) : `${checks.length} checks ok`;
    }
  }
  if (d.status !== "Success" && d.stderr.trim()) return clip(firstLine(d.stderr));
  return clip(firstLine(d.stdout) || firstLine(d.stderr) || (d.responseCode >= 0 ? `exit ${d.responseCode}` : d.status));
}
