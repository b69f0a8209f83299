import type { Root } from "../nodefs/root.js";
import type { ApplyReport } from "../engine/types.js";
import { BadInputError } from "../errors.js";
import type { Facts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import { scrubSecrets, type Logger } from "../log.js";
import { nextApplyRecord, readApplyRecord, writeApplyRecord } from "../metrics/apply-record.js";
import { bakeMetrics, applyMetrics, NODE_TEXTFILES, type BakeOutcome } from "../metrics/node.js";
import { appendRunLog } from "../metrics/run-log.js";
import { writeTextfile } from "../metrics/textfile.js";

/** Another apply held the lock: this run applied nothing, so it is not an apply to record. */
const lockBusy = (e: unknown) => /^another pwb-agent apply \(pid \S+\) holds /.test((e as Error).message ?? "");

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

/** Bake's outcome as metrics (bake runs once per image: no history kept beyond the textfile). */
export async function recordBake(root: Root, facts: Facts, site: SiteConfig, log: Logger, outcome: BakeOutcome): Promise<void> {
  try {
    await writeTextfile(root, NODE_TEXTFILES.bake, bakeMetrics(outcome), site.telemetry.textfileDirectory);
    await appendRunLog(root, { command: "bake", role: facts.role, success: outcome.success, durationMs: outcome.durationMs, items: [] });
  } catch (e) {
    log.warn({ err: (e as Error).message }, "could not record the bake's outcome (metrics textfile, run log)");
  }
}
