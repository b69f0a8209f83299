// What systemd says about a unit, and what a failed systemctl call means, in words an admin can act on.
import type { Root } from "../nodefs/root.js";
import type { CommandRunner, RunResult } from "./runner.js";

export interface UnitState {
  /** loaded, not-found, masked, bad-setting, error. */
  loadState: string;
  /** active, reloading, inactive, failed, activating, deactivating. */
  activeState: string;
  invocation: string;
}

/** Units the image (or ParallelCluster's AMI) should hold, and what provides them: named when one is missing. */
const PROVIDED_BY: Record<string, string> = {
  "rstudio-server.service": "the rstudio-workbench package (Posit Workbench: `pwb-agent bake` installs it)",
  "rstudio-launcher.service": "the rstudio-workbench package (Posit Workbench: `pwb-agent bake` installs it)",
  "slurmd.service": "ParallelCluster's Slurm (the cluster's AMI)",
  "slurmctld.service": "ParallelCluster's Slurm (the cluster's AMI)",
};

export function providedBy(unit: string): string | null {
  return PROVIDED_BY[unit] ?? null;
}

/** The unit's load and run state from the live systemd; null on a simulated root or when systemctl cannot answer. */
export async function unitState(root: Root, runner: CommandRunner, unit: string): Promise<UnitState | null> {
  if (!root.live) return null;
  const res = await runner.run(["systemctl", "show", "-p", "LoadState,ActiveState,InvocationID", unit]);
  if (res.code !== 0) return null;
  const v = Object.fromEntries(res.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]));
  return { loadState: v.LoadState ?? "", activeState: v.ActiveState ?? "", invocation: v.InvocationID ?? "" };
}

export const isRunning = (s: UnitState) => s.activeState === "active" || s.activeState === "reloading" || s.activeState === "activating";

/** "unit not found": with where it should have come from, when we know. */
export function notFoundMessage(unit: string): string {
  const from = providedBy(unit);
  return `${unit}: unit not found${from ? `: the image should hold it (${from})` : ""}`;
}

/** The last lines the unit logged (empty when the journal has none or cannot be read). */
async function journalTail(runner: CommandRunner, unit: string, lines = 8): Promise<string> {
  const res = await runner.run(["journalctl", "-u", unit, "-n", String(lines), "--no-pager", "-o", "cat"]);
  return res.code === 0 ? res.stdout.trim() : "";
}

/**
 * A failed `systemctl VERB UNIT` in words: unit not found (exit 5, or LoadState not-found), masked,
 * or failed to start with the unit's last journal lines; anything else with systemctl's own words.
 */
export async function systemctlFailure(root: Root, runner: CommandRunner, verb: string, unit: string, res: RunResult): Promise<string> {
  const said = res.stderr.trim().split("\n").slice(-3).join(" ");
  const state = await unitState(root, runner, unit);
  if (res.code === 5 || state?.loadState === "not-found" || /not found|not loaded/i.test(said)) return `systemctl ${verb} ${unit} failed: ${notFoundMessage(unit)}`;
  if (state?.loadState === "masked" || /is masked/i.test(said)) return `systemctl ${verb} ${unit} failed: ${unit} is masked (systemctl unmask ${unit} hands it back)`;
  const tail = root.live ? await journalTail(runner, unit) : "";
  const why = state?.activeState === "failed" ? "failed to start" : `exit ${res.code}`;
  return `systemctl ${verb} ${unit} failed (${why}): ${said || "no message"}${tail ? `\n  last lines of journalctl -u ${unit}:\n    ${tail.split("\n").join("\n    ")}` : ""}`;
}

/** The unit whose apply runs at boot; Workbench's services are ordered after it (units/pwb-agent.service). */
export const AGENT_UNIT = "pwb-agent.service";

/**
 * True when this process runs inside pwb-agent.service (its cgroup): then a unit ordered after it
 * (Workbench's services, and what is ordered after them) cannot start before this apply ends, so
 * waiting for its start or restart job would wait for ourselves. Such jobs are queued (--no-block).
 */
export async function insideAgentUnit(root: Root): Promise<boolean> {
  if (!root.live) return false;
  // On the live root, the node path is this process's own /proc.
  const text = (await root.readText("/proc/self/cgroup").catch(() => null)) ?? "";
  return text.split("\n").some((l) => l.split("/").includes(AGENT_UNIT));
}
