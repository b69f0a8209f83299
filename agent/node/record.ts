import type { BakeResult } from "../bake/render.js";
import type { Root } from "../nodefs/root.js";
import type { ApplyReport } from "../engine/types.js";
import { BadInputError } from "../errors.js";
import type { Facts } from "../facts/types.js";
import { scrubSecrets, type Logger } from "../log.js";
import type { SiteConfig } from "../site/types.js";
import { nextApplyRecord, readApplyRecord, writeApplyRecord } from "../state/last-apply.js";
import { bakeMetrics, applyMetrics, NODE_TEXTFILES, type BakeOutcome } from "../metrics/node.js";
import { appendRunLog } from "../metrics/run-log.js";
import { writeTextfile } from "../metrics/textfile.js";

/** Another run (an apply, a bake) held the lock: this run applied nothing, so it is not an apply to record. */
const lockBusy = (e: unknown) => /^another pwb-agent run \(pid \S+\) holds /.test((e as Error).message ?? "");

/**
 * Runs an apply and records its outcome, success or failure, in /var/lib/pwb-agent/last-apply.json
 * and the node's metrics textfile (doctor and dashboards read them). Recording never hides the
 * apply's own result: a failure to record is logged, and the apply's error is rethrown as is.
 */
export async function recordedApply(root: Root, facts: Facts, site: SiteConfig | null, log: Logger, run: () => Promise<ApplyReport>): Promise<ApplyReport> {
  const started = performance.now();
  let report: ApplyReport | null = null;
  let error: unknown = null;
  try {
    report = await run();
  } catch (e) {
    error = e;
  }
  // Bad input changed nothing and a busy lock ran nothing: neither is an apply of this node.
  if (!(error instanceof BadInputError) && !(error && lockBusy(error))) {
    try {
      const record = nextApplyRecord(await readApplyRecord(root), {
        finishedAt: Date.now(),
        durationMs: Math.round(performance.now() - started),
        report,
        planned: report?.changes ?? 0,
        error: error ? scrubSecrets((error as Error).message ?? String(error)).split("\n")[0]!.slice(0, 300) : null,
      });
      await writeApplyRecord(root, record);
      await writeTextfile(root, NODE_TEXTFILES.apply, applyMetrics(facts, record), site?.telemetry.textfileDirectory);
      await appendRunLog(root, { command: "apply", role: facts.role, success: record.success, durationMs: record.durationMs, items: report?.applied.map((a) => a.id) ?? [], error: record.error });
    } catch (e) {
      log.warn({ err: (e as Error).message }, "could not record the apply's outcome (metrics textfile, last-apply.json)");
    }
  }
  if (error) throw error;
  return report!;
}

/**
 * Runs a bake and, unless it is a dry run (which changed nothing), records its outcome, failed or not,
 * in the image's metrics textfile and the run log (agent/metrics/node.ts). Bad input changed nothing
 * on disk, metrics included.
 */
export async function recordedBake(root: Root, facts: Facts, site: SiteConfig | null, log: Logger, dryRun: boolean, run: () => Promise<BakeResult>): Promise<BakeResult> {
  const started = performance.now();
  const outcome = (result: BakeResult | null): BakeOutcome => ({
    finishedAt: Date.now(),
    success: result !== null,
    durationMs: Math.round(performance.now() - started),
    installed: result?.report?.packagesInstalled ?? 0,
    downloaded: result?.report?.downloads ?? 0,
  });
  const result = await run().catch(async (e: unknown) => {
    if (!dryRun && !(e instanceof BadInputError)) await recordBake(root, facts, site, log, outcome(null));
    throw e;
  });
  if (!dryRun) await recordBake(root, facts, site, log, outcome(result));
  return result;
}

/** Bake's outcome as metrics (bake runs once per image: no history kept beyond the textfile). */
async function recordBake(root: Root, facts: Facts, site: SiteConfig | null, log: Logger, outcome: BakeOutcome): Promise<void> {
  try {
    await writeTextfile(root, NODE_TEXTFILES.bake, bakeMetrics(outcome), site?.telemetry.textfileDirectory);
    await appendRunLog(root, { command: "bake", role: facts.role, success: outcome.success, durationMs: outcome.durationMs, items: [] });
  } catch (e) {
    log.warn({ err: (e as Error).message }, "could not record the bake's outcome (metrics textfile, run log)");
  }
}
