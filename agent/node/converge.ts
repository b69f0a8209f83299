import { bakeResources, IMAGE_RECORD, readImageRecord, resourceId } from "../bake/image.js";
import { activeComponents, desiredState, gatherInputs, imageState } from "../components/index.js";
import { apply, type ApplyOptions, type FetchOptions } from "../engine/apply.js";
import { acquireLock, LOCK_PATH } from "../engine/lock.js";
import { owedChanges, readOwed, stillOwed } from "../engine/owed.js";
import { plan } from "../engine/plan.js";
import type { Root } from "../nodefs/root.js";
import type { ApplyReport, Change, EngineContext, Resource } from "../engine/types.js";
import { missingMessage, splitByImageNeeds, type MissingNeed } from "../components/image-needs.js";
import { BadInputError, ExitCode, RuntimeFailure } from "../errors.js";
import type { Facts } from "../facts/types.js";
import type { Logger } from "../log.js";
import type { SiteConfig } from "../site/types.js";
import type { BakeResult } from "../bake/render.js";
import { engineContext } from "./open.js";

export interface ConvergeOptions {
  /** Limit to these components (e.g. ["units"] for `units install`). */
  only?: readonly string[];
  /** The validated site config; null or absent: components that need one are skipped (logged). */
  site?: SiteConfig | null;
}

interface Desired {
  resources: Resource[];
  /** What the image lacks for the components left out (image-needs.ts). */
  missing: MissingNeed[];
  /** Ids of image-phase packages, artifacts and builds: a change to one is a repair of the image. */
  image: Set<string>;
}

/**
 * Components' gather steps, then their pure desired state: the node phase, and on a baked image the
 * image phase too, so what went missing from the image is repaired. The node phase has the last word
 * on a resource both declare (Workbench's services: off in the image, on on a login node).
 */
export async function desired(root: Root, facts: Facts, log: Logger, o: ConvergeOptions, mode: "plan" | "apply"): Promise<Desired> {
  const site = o.site ?? null;
  const { ready: components, missing } = await splitByImageNeeds(activeComponents(facts, site, o.only, log), facts, site, root);
  if (missing.length) log.warn({ missing: missing.map((m) => `${m.kind} ${m.name}`) }, missingMessage(missing));
  const inputs = await gatherInputs(components, facts, site, { root, log, mode });
  const node = desiredState(facts, site, o.only, inputs, components);
  if (site === null || o.only) return { resources: node, image: new Set(), missing };
  if ((await readImageRecord(root)) === null) {
    log.info({ record: IMAGE_RECORD }, "not a baked image: Workbench, R, Python and Quarto are left to `pwb-agent bake`");
    return { resources: node, image: new Set(), missing };
  }
  const nodeIds = new Set(node.map(resourceId));
  const image = await imageState(facts, site, { root, log, mode });
  return {
    resources: [...image.filter((r) => !nodeIds.has(resourceId(r))), ...node],
    // What the image should have held: its packages, artifacts and builds (not its settings, which a role may override).
    image: new Set(image.filter((r) => IMAGE_KINDS.has(r.kind)).map(resourceId)),
    missing,
  };
}

const IMAGE_KINDS = new Set<Resource["kind"]>(["packages", "package", "archive", "download", "command"]);

/** Marks image-phase changes in a plan: the image should have held them. */
function markRepairs(changes: Change[], image: Set<string>): Change[] {
  for (const c of changes) if (image.has(c.id)) c.summary.push("missing from the image: apply repairs it");
  return changes;
}

/** The node's plan: what differs, then what earlier applies still owe (restarts, a reload): the whole node, not one component. */
export async function planNode(root: Root, facts: Facts, log: Logger, o: ConvergeOptions = {}): Promise<Change[]> {
  const d = await desired(root, facts, log, o, "plan");
  const ctx = engineContext(root, facts, log, true);
  const changes = markRepairs(await plan(d.resources, ctx), d.image);
  if (o.only) return changes;
  // Owed work as the node stands now: a restart a reboot already did is not pending.
  const owed = await readOwed(root, log);
  return [...changes, ...owedChanges({ ...owed, restarts: await stillOwed(root, ctx.runner, owed) })];
}

/** Plan and apply under the apply lock, so the plan applied is the one read while holding it. */
export async function applyNode(
  root: Root,
  facts: Facts,
  log: Logger,
  o: ConvergeOptions & { lockTimeoutMs: number },
): Promise<ApplyReport> {
  const ctx = engineContext(root, facts, log, false);
  const lock = await acquireLock(root, LOCK_PATH, o.lockTimeoutMs);
  try {
    // The agent's own units first, on their own: whatever fails further on, the next boot retries.
    // Only once the whole desired state is known: bad input (exit 2) must change nothing at all.
    const unitsFirst = async () => (o.only ? null : (await planAndApply((await desired(root, facts, log, { ...o, only: ["units"] }, "apply")).resources, ctx, { ownRestartsOnly: true })).report);
    let d: Desired;
    try {
      // Gathered under the lock: two applies must not both find a key absent and generate two.
      d = await desired(root, facts, log, o, "apply");
    } catch (e) {
      if (!(e instanceof BadInputError)) await unitsFirst().catch((u: Error) => log.warn({ err: u.message }, "could not converge the agent's own units"));
      throw e;
    }
    const first = await unitsFirst();
    const rest = (await planAndApply(d.resources, ctx)).report;
    const report = first ? mergeReports(first, rest) : rest;
    for (const a of report.applied) {
      // A baked node never gets here; when it does, the admin learns what the image lacked and what it cost.
      if (d.image.has(a.id)) log.warn({ resource: a.id, durationMs: a.durationMs }, `image resource ${a.id} was missing: repaired in ${a.durationMs} ms`);
    }
    log.info({ changes: report.changes, filesWritten: report.filesWritten, restarted: report.restarted, durationMs: report.durationMs }, "apply finished");
    if (d.missing.length) throw new RuntimeFailure(missingMessage(d.missing), { report });
    return report;
  } finally {
    await lock.release();
  }
}

/**
 * Plan and apply; once more when packages were installed, since their scripts may change what the plan
 * read (Workbench's postinst enables its services, which the image keeps off). One report for both.
 */
async function planAndApply(resources: Resource[], ctx: EngineContext, fetch: ApplyOptions = {}): Promise<{ changes: Change[]; report: ApplyReport }> {
  const changes = await plan(resources, ctx);
  const first = await apply(changes, resources, ctx, fetch);
  if (first.packagesInstalled === 0) return { changes, report: first };
  // Packages are not planned twice: what the first pass installed (or recorded, on a simulated root) is done.
  const again = (await plan(resources, ctx)).filter((c) => c.kind !== "packages" && c.kind !== "package");
  if (again.length === 0) return { changes, report: first };
  const second = await apply(again, resources, ctx, fetch);
  return { changes: [...changes, ...again], report: mergeReports(first, second) };
}

/** Two passes of one apply as one report (counters from the context are cumulative: the second's). */
function mergeReports(first: ApplyReport, second: ApplyReport): ApplyReport {
  return {
    ...second,
    changes: first.changes + second.changes,
    applied: [...first.applied, ...second.applied],
    restarted: [...new Set([...first.restarted, ...second.restarted])],
    notRestarted: [...first.notRestarted, ...second.notRestarted].filter((n) => !second.restarted.includes(n.unit)),
    daemonReloaded: first.daemonReloaded || second.daemonReloaded,
    durationMs: first.durationMs + second.durationMs,
  };
}

export interface BakeOptions {
  site: SiteConfig;
  lockTimeoutMs: number;
  dryRun: boolean;
  fetch?: FetchOptions;
}

/**
 * `bake`: the engine converging the image phase of every component, for every role at once, under the
 * apply lock. Every download is verified before the first change, so a bad artifact installs nothing.
 */
export async function bakeNode(root: Root, facts: Facts, log: Logger, o: BakeOptions): Promise<BakeResult> {
  const ctx = engineContext(root, facts, log, o.dryRun);
  // --dry-run reads only, like `plan`: no lock, nothing written.
  if (o.dryRun) return { changes: await plan(await bakeResources(facts, o.site, { root, log, mode: "plan" }), ctx), report: null };
  const lock = await acquireLock(root, LOCK_PATH, o.lockTimeoutMs);
  try {
    const resources = await bakeResources(facts, o.site, { root, log, mode: "apply" });
    const { changes, report } = await planAndApply(resources, ctx, o.fetch ?? {});
    log.info({ changes: report.changes, packagesInstalled: report.packagesInstalled, downloads: report.downloads, durationMs: report.durationMs }, "bake finished");
    return { changes, report };
  } finally {
    await lock.release();
  }
}
