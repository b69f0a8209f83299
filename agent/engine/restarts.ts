// The owed restarts, done and reported as systemd answered: a stopped service is not "restarted".
import { RuntimeFailure } from "../errors.js";
import { settledBy, type OwedLedger, type OwedRestart } from "./owed.js";
import { AGENT_UNIT, insideAgentUnit, isRunning, notFoundMessage, systemctlFailure, unitState } from "./systemctl.js";
import type { ApplyReport, EngineContext, Resource } from "./types.js";

export type RestartOutcome = Pick<ApplyReport, "restarted" | "notRestarted">;

/** Declared service resources first, in their order (e.g. launcher before server), then the rest as recorded. */
function restartOrder(owed: readonly OwedRestart[], resources: Resource[]): OwedRestart[] {
  const declared = resources.flatMap((r) => (r.kind === "service" ? owed.filter((o) => o.unit === r.name) : []));
  return [...declared, ...owed.filter((o) => !declared.includes(o))];
}

/**
 * Every restart the ledger holds, each at most once. One is settled (cleared) when it is done, when
 * this apply just started or stopped the service, or when there is nothing to restart: the service
 * is not running, masked, or systemd started it again after the change (a reboot). A failed restart
 * stays owed, the others are still tried, and the apply fails naming each one.
 */
export async function performRestarts(ledger: OwedLedger, resources: Resource[], justStarted: ReadonlySet<string>, ctx: EngineContext, only: ReadonlySet<string> | null = null): Promise<RestartOutcome> {
  const restarted: string[] = [];
  const notRestarted: RestartOutcome["notRestarted"] = [];
  const failures: string[] = [];
  const noBlock = await insideAgentUnit(ctx.root);
  const owed = restartOrder(ledger.restarts, resources).filter((o) => only === null || only.has(o.unit));
  const skip = (unit: string, why: string) => {
    notRestarted.push({ unit, why });
    ctx.log.info({ service: unit, why }, `not restarted: ${why}`);
    ledger.settle(unit);
  };
  for (const entry of owed) {
    const { unit } = entry;
    if (justStarted.has(unit)) {
      ledger.settle(unit);
      continue;
    }
    const state = await unitState(ctx.root, ctx.runner, unit);
    if (state?.loadState === "not-found") {
      // Nothing runs it now; when it is installed and started it reads the new files (a new invocation settles it).
      failures.push(`${notFoundMessage(unit)}: its restart stays owed`);
      continue;
    }
    const settled = state ? settledBy(entry, { ...state, running: isRunning(state) }) : null;
    if (settled) {
      skip(unit, settled);
      continue;
    }
    if (noBlock) {
      // Ordered after this very apply (pwb-agent.service): queued now, it runs as soon as this apply ends.
      const res = await ctx.runner.run(["systemctl", state && !isRunning(state) ? "restart" : "try-restart", "--no-block", unit], { mutates: true });
      if (!res.deferred) ctx.stats.commandsRun += 1;
      if (res.code !== 0) {
        failures.push(await systemctlFailure(ctx.root, ctx.runner, "try-restart", unit, res));
        ledger.failed(unit, entry.because);
      } else {
        ledger.queued(unit);
        notRestarted.push({ unit, why: `restart queued: it runs once ${AGENT_UNIT} finishes (ordered after it)` });
      }
      continue;
    }
    // A restart we tried stopped it: bring it back (restart), not only a running one (try-restart).
    const verb = (entry.failedOnce || entry.queued) && state && !isRunning(state) ? "restart" : "try-restart";
    const res = await ctx.runner.run(["systemctl", verb, unit], { mutates: true });
    if (!res.deferred) ctx.stats.commandsRun += 1;
    if (res.code === 0) {
      restarted.push(unit);
      ledger.settle(unit);
    } else {
      failures.push(await systemctlFailure(ctx.root, ctx.runner, verb, unit, res));
      ledger.failed(unit, entry.because);
    }
  }
  if (owed.length) await ledger.save();
  if (failures.length) {
    throw new RuntimeFailure(
      `${failures.length} owed restart${failures.length === 1 ? "" : "s"} not done (recorded in the owed ledger: the next \`pwb-agent apply\` does ${failures.length === 1 ? "it" : "them"}):\n${failures.join("\n")}`,
      { restarted, notRestarted },
    );
  }
  return { restarted, notRestarted };
}
