import { STATE_PATH as ALB_SYNC_STATE } from "../../alb/sync/state.js";
import type { Root } from "../../nodefs/root.js";
import type { Change } from "../../engine/types.js";
import { readApplyRecord } from "../../state/last-apply.js";
import { fail, ok, skipped, warn, type CheckOutcome } from "../../doctor/checks.js";
import { readOwed, stillOwed } from "../../engine/owed.js";
import type { CommandRunner } from "../../engine/runner.js";

/** pwb-alb-sync.timer's period: OnUnitActiveSec=25s (units/pwb-alb-sync.timer). */
export const ALB_SYNC_PERIOD_S = 25;
/** Fresh: a success within this many ticks (plus the timer's 2 s randomized delay each). */
export const ALB_SYNC_FRESH_TICKS = 3;
export const ALB_SYNC_FRESH_S = ALB_SYNC_FRESH_TICKS * (ALB_SYNC_PERIOD_S + 2);

const ago = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

/** The last `pwb-agent apply` on this node succeeded (its record in /var/lib/pwb-agent). */
export async function checkLastApply(root: Root, now: number): Promise<CheckOutcome> {
  const r = await readApplyRecord(root);
  if (r === null) return fail("no apply recorded on this node", "run `pwb-agent apply` (pwb-agent.service runs it at boot: journalctl -u pwb-agent)");
  if (!r.success) {
    return fail(`the last apply (${ago(now - r.finishedAt)}) failed: ${r.error ?? "unknown error"}`, "fix the cause, then `pwb-agent apply`; journalctl -u pwb-agent has the run");
  }
  return ok(`succeeded ${ago(now - r.finishedAt)}: ${r.changes} change(s) in ${(r.durationMs / 1000).toFixed(1)} s${r.packages ? `, ${r.packages} package(s) installed` : ""}`);
}

/** Nothing an apply owes is left undone: restarts of services whose files changed, a daemon-reload. */
export async function checkOwed(root: Root, runner: CommandRunner): Promise<CheckOutcome> {
  const owed = await readOwed(root);
  const restarts = await stillOwed(root, runner, owed);
  const units = restarts.map((r) => `${r.unit}${r.failedOnce ? " (its restart failed)" : ""}`);
  if (units.length === 0 && !owed.daemonReload) return ok("no restart or reload owed");
  const what = [...(owed.daemonReload ? ["a systemctl daemon-reload"] : []), ...(units.length ? [`restart of ${units.join(", ")}`] : [])].join(" and ");
  const since = Math.min(...restarts.map((r) => r.since).filter((t) => t > 0));
  return fail(
    `owed since ${Number.isFinite(since) ? new Date(since).toISOString() : "an earlier apply"}: ${what}: the service${units.length === 1 ? "" : "s"} may still run the old configuration`,
    "`pwb-agent apply` does it (journalctl -u pwb-agent says why the last one did not)",
  );
}

const list = (changes: readonly Change[]) => {
  const ids = changes.map((c) => c.id);
  return ids.slice(0, 5).join(", ") + (ids.length > 5 ? `, … (${ids.length - 5} more)` : "");
};

/** Nothing differs from the desired state (a read-only plan). */
export function driftOutcome(changes: readonly Change[]): CheckOutcome {
  if (changes.length === 0) return ok("the node matches its desired state (plan: no changes)");
  return warn(`${changes.length} resource(s) differ: ${list(changes)}`, "`pwb-agent plan` shows the diff; `pwb-agent apply` converges");
}

/** The agent's own units are installed and enabled (a plan of the units component alone). */
export function unitsOutcome(changes: readonly Change[], wanted: string): CheckOutcome {
  if (changes.length === 0) return ok(wanted);
  return fail(`not as this role needs: ${list(changes)}`, "`pwb-agent units install`");
}

/** Head node with an ALB: alb-sync's last success is recent (its state file, written every tick). */
export async function checkAlbSyncFresh(root: Root, now: number): Promise<CheckOutcome> {
  const text = await root.readText(ALB_SYNC_STATE).catch(() => null);
  const fix = "systemctl status pwb-alb-sync.timer; journalctl -u pwb-alb-sync (or run `pwb-agent alb-sync` by hand)";
  if (text === null) return fail(`${ALB_SYNC_STATE} is missing: alb-sync never ran`, fix);
  let state: { lastSuccess?: unknown; lastRun?: unknown; consecutiveFailures?: unknown };
  try {
    state = JSON.parse(text) as typeof state;
  } catch {
    return fail(`${ALB_SYNC_STATE} is not valid JSON`, fix);
  }
  const last = typeof state.lastSuccess === "number" ? state.lastSuccess : null;
  const failures = typeof state.consecutiveFailures === "number" ? state.consecutiveFailures : 0;
  if (last === null) return fail(`alb-sync never succeeded${failures ? ` (${failures} failed tick(s))` : ""}`, fix);
  const age = now - last;
  if (age > ALB_SYNC_FRESH_S * 1000) return fail(`last success ${ago(age)} (more than ${ALB_SYNC_FRESH_TICKS} ticks)${failures ? `, ${failures} failed tick(s) since` : ""}`, fix);
  return ok(`last success ${ago(age)}`);
}

export const noAlb = () => skipped("the site has no alb: section");
