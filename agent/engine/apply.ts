import path from "node:path";
import { fetchAll, type FetchPolicy } from "../artifacts/index.js";
import { RuntimeFailure } from "../errors.js";
import { handlerFor, pathOf } from "./handlers.js";
import { OwedLedger } from "./owed.js";
import type { ServiceState } from "./resources/service.js";
import { performRestarts } from "./restarts.js";
import { insideAgentUnit, systemctlFailure } from "./systemctl.js";
import { isUnitPath } from "./systemd.js";
import type { ApplyReport, Change, EngineContext, FetchNeed, Resource } from "./types.js";

export interface FetchOptions {
  /** A terminal for progress bars (bake); null logs progress lines. */
  tty?: NodeJS.WriteStream | null;
  policy?: FetchPolicy;
  concurrency?: number;
}

export interface ApplyOptions extends FetchOptions {
  /** Do only the restarts these changes owe; what earlier runs owe waits for a full apply (the agent's units go first, alone). */
  ownRestartsOnly?: boolean;
}

/**
 * Applies changes in declaration order, then, once: daemon-reload if a unit file changed,
 * start/stop what the plan asked for, and restart (in declaration order) the running services
 * whose inputs changed — each at most once, never one that was just started. What a change owes
 * (the reload, the restarts) is recorded in the owed ledger before the change is written, and what
 * earlier runs still owe is done here too, even when nothing changed (see owed.ts).
 */
export async function apply(changes: Change[], resources: Resource[], ctx: EngineContext, fetchOptions: ApplyOptions = {}): Promise<ApplyReport> {
  const started = performance.now();
  const applied: ApplyReport["applied"] = [];
  const ledger = await OwedLedger.load(ctx.root, ctx.runner, ctx.log);

  await fetchFirst(changes, ctx, fetchOptions);

  for (const change of changes) {
    const r = change.resource;
    const p = pathOf(r);
    const notifies = "notifies" in r && r.notifies ? r.notifies : [];
    const reload = (p !== null && isUnitPath(p)) || r.kind === "service";
    // Before the write: a kill right after it must still find the restart owed.
    if (notifies.length || reload) await ledger.owe(change.id, notifies, reload);
    const t0 = performance.now();
    try {
      await handlerFor(r).apply(change, ctx);
    } catch (e) {
      throw new RuntimeFailure(`applying ${change.id} failed: ${(e as Error).message}`, {
        alreadyApplied: applied.map((a) => a.id),
      });
    }
    applied.push({ id: change.id, action: change.action, durationMs: Math.round(performance.now() - t0) });
    ctx.log.info({ resource: change.id, action: change.action, summary: change.summary }, "changed");
  }

  let daemonReloaded = false;
  if (ledger.daemonReload) {
    await runOrFail(ctx, ["systemctl", "daemon-reload"]);
    daemonReloaded = true;
    await ledger.reloaded();
  }

  const justStarted = new Set<string>();
  // Inside pwb-agent.service a start of a unit ordered after it would wait for this apply to end: queue it.
  const noBlock = (await insideAgentUnit(ctx.root)) ? ["--no-block"] : [];
  for (const change of changes) {
    if (change.kind !== "service") continue;
    const name = (change.resource as { name: string }).name;
    const state = change.state as ServiceState;
    if (state.start) {
      await runOrFail(ctx, ["systemctl", "start", ...noBlock, name]);
      justStarted.add(name);
    }
    if (state.stop) {
      await runOrFail(ctx, ["systemctl", "stop", name]);
      justStarted.add(name);
    }
  }

  const own = fetchOptions.ownRestartsOnly ? new Set(changes.flatMap((c) => ("notifies" in c.resource && c.resource.notifies) || [])) : null;
  const outcome = await performRestarts(ledger, resources, justStarted, ctx, own);

  return {
    changes: changes.length,
    applied,
    restarted: outcome.restarted,
    notRestarted: outcome.notRestarted,
    deferred: ctx.runner.deferred,
    daemonReloaded,
    filesWritten: ctx.stats.filesWritten,
    bytesWritten: ctx.stats.bytesWritten,
    commandsRun: ctx.stats.commandsRun,
    packagesInstalled: ctx.stats.packagesInstalled ?? 0,
    downloads: ctx.stats.downloads ?? 0,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Every file the changes need, checksums resolved and downloads verified, before the first change:
 * a missing checksum (bad input) or a tampered file fails here, with nothing installed or written.
 */
async function fetchFirst(changes: Change[], ctx: EngineContext, o: FetchOptions): Promise<void> {
  const needs: FetchNeed[] = [];
  for (const change of changes) {
    const h = handlerFor(change.resource);
    if (h.fetches) needs.push(...(await h.fetches(change, ctx)));
  }
  if (needs.length === 0) return;
  const unique = [...new Map(needs.map((n) => [n.path, n])).values()];
  // Every destination checked to stay inside the root before the first byte is fetched.
  const dests = await Promise.all(unique.map((n) => ctx.root.realPathFor(n.path, { action: "write", followLeaf: false })));
  const report = await fetchAll(
    unique.map((n, i) => ({ name: path.posix.basename(n.path), url: n.url, sha256: n.sha256, dest: dests[i]! })),
    { log: ctx.log, tty: o.tty ?? null, ...(o.policy ? { policy: o.policy } : {}), ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
  );
  ctx.stats.downloads = (ctx.stats.downloads ?? 0) + Object.values(report.outcomes).filter((x) => x !== "cached").length;
}

async function runOrFail(ctx: EngineContext, argv: string[]): Promise<void> {
  const res = await ctx.runner.run(argv, { mutates: true });
  if (!res.deferred) ctx.stats.commandsRun += 1;
  if (res.code === 0) return;
  const [, verb] = argv;
  const unit = argv.at(-1);
  if (argv[0] === "systemctl" && verb && unit && argv.length >= 3) throw new RuntimeFailure(await systemctlFailure(ctx.root, ctx.runner, verb, unit, res));
  throw new RuntimeFailure(`${argv.join(" ")} failed (exit ${res.code}): ${res.stderr.trim()}`);
}
