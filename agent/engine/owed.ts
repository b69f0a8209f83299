// Work an apply owes the node once it has changed a file: a daemon-reload, and restarts of the
// services that read what changed. Kept on disk, written before the change that creates the debt,
// so a failed restart, a SIGKILL or a reboot between a write and its restart never forgets it.
import path from "node:path";
import type { Root } from "../nodefs/root.js";
import type { Logger } from "../log.js";
import type { CommandRunner } from "./runner.js";
import { isRunning, unitState } from "./systemctl.js";
import type { Change } from "./types.js";

export const OWED_PATH = "/var/lib/pwb-agent/owed.json";

export interface OwedRestart {
  unit: string;
  /** Ids of the changes that owe it (the latest few). */
  because: string[];
  /** When the last change that owes it was about to be written (ms since the epoch). */
  since: number;
  /**
   * The service's InvocationID just before that write ("" when it was not running, or on a simulated
   * root). A different one later means systemd started it again after the write (a reboot, an
   * administrator's restart): it already runs the new configuration, so the restart is no longer owed.
   */
  invocation: string;
  /** True once a restart was tried and failed: the service was stopped by us, so it is brought back even if now stopped. */
  failedOnce?: boolean;
  /** Queued (--no-block) from inside pwb-agent.service: done once the new invocation shows; brought back if it failed. */
  queued?: boolean;
}

export interface Owed {
  daemonReload: boolean;
  restarts: OwedRestart[];
}

const MAX_BECAUSE = 5;

/** The owed work recorded under the root; a missing file owes nothing. */
export async function readOwed(root: Root, log?: Logger): Promise<Owed> {
  const text = await root.readText(OWED_PATH);
  if (text === null) return { daemonReload: false, restarts: [] };
  try {
    const o = JSON.parse(text) as Partial<Owed>;
    const restarts = Array.isArray(o.restarts) ? o.restarts.filter((r): r is OwedRestart => typeof r?.unit === "string") : [];
    return {
      daemonReload: o.daemonReload === true,
      restarts: restarts.map((r) => ({ ...r, because: Array.isArray(r.because) ? r.because : [], since: Number(r.since) || 0, invocation: typeof r.invocation === "string" ? r.invocation : "" })),
    };
  } catch {
    // Written atomically, so only a hand edit gets here: say so rather than guess what was owed.
    log?.warn({ file: OWED_PATH }, `${OWED_PATH} is not valid JSON: owed restarts it held are lost (restart Workbench's services by hand if in doubt)`);
    return { daemonReload: false, restarts: [] };
  }
}

/** A unit's current InvocationID ("" when not running or unknown; always "" on a simulated root). */
export async function invocationOf(root: Root, runner: CommandRunner, unit: string): Promise<string> {
  return (await unitState(root, runner, unit))?.invocation ?? "";
}

/**
 * The ledger one apply keeps: it grows before each change that owes something (one atomic write
 * when the set or a recorded invocation changes) and shrinks as the work is done.
 */
export class OwedLedger {
  private constructor(
    private readonly root: Root,
    private readonly runner: CommandRunner,
    private state: Owed,
  ) {}

  static async load(root: Root, runner: CommandRunner, log?: Logger): Promise<OwedLedger> {
    return new OwedLedger(root, runner, await readOwed(root, log));
  }

  get daemonReload(): boolean {
    return this.state.daemonReload;
  }

  get restarts(): readonly OwedRestart[] {
    return this.state.restarts;
  }

  entry(unit: string): OwedRestart | undefined {
    return this.state.restarts.find((r) => r.unit === unit);
  }

  /** Records, before the change `because` is applied, that it owes a reload and/or these restarts. */
  async owe(because: string, units: readonly string[], daemonReload: boolean): Promise<void> {
    let dirty = daemonReload && !this.state.daemonReload;
    if (daemonReload) this.state.daemonReload = true;
    const now = Date.now();
    for (const unit of units) {
      // The invocation as it is now, just before this write: a restart after it is one that read the new file.
      const invocation = await invocationOf(this.root, this.runner, unit);
      const e = this.entry(unit);
      if (!e) {
        this.state.restarts.push({ unit, because: [because], since: now, invocation });
        dirty = true;
      } else if (e.invocation !== invocation || !e.because.includes(because)) {
        e.invocation = invocation;
        e.since = now;
        e.because = [...e.because.filter((b) => b !== because), because].slice(-MAX_BECAUSE);
        dirty = true;
      }
    }
    if (dirty) await this.save();
  }

  async reloaded(): Promise<void> {
    if (!this.state.daemonReload) return;
    this.state.daemonReload = false;
    await this.save();
  }

  /** The restart of `unit` is no longer owed (done, or nothing to restart). Saved by `save()`. */
  settle(unit: string): void {
    this.state.restarts = this.state.restarts.filter((r) => r.unit !== unit);
  }

  /** A restart was tried and failed: still owed, and the service is brought back next time even if stopped. */
  failed(unit: string, because: readonly string[]): void {
    const e = this.entry(unit);
    if (e) e.failedOnce = true;
    else this.state.restarts.push({ unit, because: [...because].slice(-MAX_BECAUSE), since: Date.now(), invocation: "", failedOnce: true });
  }

  /** Queued, not awaited: still owed until a later look sees the new invocation. */
  queued(unit: string): void {
    const e = this.entry(unit);
    if (e) e.queued = true;
  }

  /** Written whole or not at all; removed once nothing is owed, so a converged node holds no ledger. */
  async save(): Promise<void> {
    if (!this.state.daemonReload && this.state.restarts.length === 0) {
      if ((await this.root.lstat(OWED_PATH)) === null) return;
      await this.root.remove(OWED_PATH);
      await this.root.syncDir(path.posix.dirname(OWED_PATH));
      return;
    }
    await this.root.writeAtomic(OWED_PATH, JSON.stringify(this.state, null, 2) + "\n", { mode: 0o644 });
  }
}

/** Owed work as plan entries: pending until an apply does it (exit 10, like any change). */
export function owedChanges(owed: Owed): Change[] {
  const at = (ms: number) => (ms ? new Date(ms).toISOString().replace(/\.\d+Z$/, "Z") : "an earlier apply");
  const out: Change[] = owed.restarts.map((o) => ({
    id: `restart:${o.unit}`,
    kind: "service",
    action: "restart",
    summary: [
      `owed since ${at(o.since)} by ${o.because.join(", ") || "an earlier change"}${o.failedOnce ? " (a restart was tried and failed)" : ""}`,
      "apply restarts it (nothing, when it is not running)",
    ],
    resource: { kind: "service", name: o.unit, enabled: true },
  }));
  if (owed.daemonReload) {
    out.unshift({ id: "daemon-reload:systemd", kind: "service", action: "run", summary: ["a unit file changed and systemd has not reloaded since: apply runs systemctl daemon-reload"], resource: { kind: "service", name: "daemon-reload", enabled: true } });
  }
  return out;
}

/** Why an owed restart is no longer owed, from the unit's live state; null while it still is. Read by apply and doctor alike. */
export function settledBy(entry: OwedRestart, state: { loadState: string; activeState: string; invocation: string; running: boolean }): string | null {
  if (state.loadState === "masked") return "masked by an administrator: not restarted";
  const ours = entry.failedOnce === true || entry.queued === true;
  if (!state.running && !ours && state.loadState !== "not-found") return "not running: nothing to restart";
  if (state.running && state.invocation && (entry.invocation || ours) && state.invocation !== entry.invocation) {
    return "started again since the change (a reboot or a restart): it runs the new configuration";
  }
  return null;
}

/** The restarts still owed as the node stands now (a reboot or a queued restart may have done some): doctor's view, nothing written. */
export async function stillOwed(root: Root, runner: CommandRunner, owed: Owed): Promise<OwedRestart[]> {
  const out: OwedRestart[] = [];
  for (const entry of owed.restarts) {
    const state = await unitState(root, runner, entry.unit);
    if (state && settledBy(entry, { ...state, running: isRunning(state) }) !== null) continue;
    out.push(entry);
  }
  return out;
}
