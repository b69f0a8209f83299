import { readOwed, stillOwed } from "../../engine/owed.js";
import { withDeadline } from "../../engine/deadline.js";
import { SpawnRunner } from "../../engine/runner.js";
import type { Change } from "../../engine/types.js";
import { runChecks, type CheckResult } from "../../doctor/checks.js";
import { BadInputError } from "../../errors.js";
import { doctorMetrics, NODE_TEXTFILES } from "../../metrics/node.js";
import { appendRunLog } from "../../metrics/run-log.js";
import { SLURM_TEXTFILE, slurmStateMetrics } from "../../metrics/slurm.js";
import { writeTextfile } from "../../metrics/textfile.js";
import { planNode } from "../converge.js";
import type { OpenedNode } from "../open.js";
import { e2eChecks } from "./e2e.js";
import { checksFor, type DoctorEnv } from "./role-checks.js";

export interface DoctorOptions {
  /** Head node: also run a tiny job on every partition. */
  e2e: boolean;
  /** How long each --e2e job may take. */
  e2eTimeoutS: number;
}

/**
 * `doctor`'s run: the role's checks (and with e2e the job checks), then the verdicts recorded in the
 * node's metrics textfile and the run log, and on the live head node the cluster's Slurm states.
 * A failure to record is logged; the verdicts are returned either way.
 */
export async function runDoctor(n: OpenedNode, o: DoctorOptions): Promise<CheckResult[]> {
  const { log, root, facts, site } = n;
  if (o.e2e && facts.role !== "head") throw new BadInputError(`--e2e runs on the head node (this node is a ${facts.role} node)`);
  const plans = new Map<string, Promise<Change[]>>();
  const env: DoctorEnv = {
    root,
    runner: new SpawnRunner(log, !root.live),
    facts,
    site,
    siteSource: n.siteSource,
    planChanges(only) {
      const key = only?.join(",") ?? "*";
      if (!plans.has(key)) plans.set(key, planNode(root, facts, log, { site, ...(only ? { only } : {}) }));
      return plans.get(key)!;
    },
  };
  const checks = checksFor(env);
  if (o.e2e && site) checks.push(...e2eChecks(root, env.runner, site, { timeoutS: o.e2eTimeoutS }));
  const started = performance.now();
  const results = await runChecks(checks);
  // Recording the verdicts runs commands too (owed restarts, Slurm states): bounded, so the run stays in seconds.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), RECORD_MS);
  try {
    await withDeadline({ at: performance.now() + RECORD_MS, signal: abort.signal, label: "doctor's recording deadline" }, () => record(n, env, results, plans, started));
  } finally {
    clearTimeout(timer);
  }
  return results;
}

/** How long recording the verdicts may take (its commands are killed then). */
const RECORD_MS = 3_000;

async function record(n: OpenedNode, env: DoctorEnv, results: CheckResult[], plans: Map<string, Promise<Change[]>>, started: number): Promise<void> {
  const { log, root, facts, site } = n;
  const drift = plans.has("*") ? await plans.get("*")!.then((c) => c.length, () => null) : null;
  try {
    const owed = (await stillOwed(root, env.runner, await readOwed(root, log))).length;
    await writeTextfile(root, NODE_TEXTFILES.doctor, doctorMetrics(facts, results, Date.now(), drift, owed), site?.telemetry.textfileDirectory);
    const failed = results.filter((r) => r.status === "fail").map((r) => r.id);
    await appendRunLog(root, { command: "doctor", role: facts.role, success: failed.length === 0, durationMs: Math.round(performance.now() - started), items: failed });
  } catch (e) {
    log.warn({ err: (e as Error).message }, "could not record doctor's verdicts (metrics textfile, run log)");
  }
  // The live head node also exports the cluster's job and node states (the dashboard's Slurm panels).
  if (root.live && site && facts.role === "head") {
    await slurmStateMetrics(env.runner, site, Date.now())
      .then((m) => writeTextfile(root, SLURM_TEXTFILE, m, site.telemetry.textfileDirectory))
      .catch((e: Error) => log.warn({ err: e.message }, "could not write the Slurm metrics textfile"));
  }
}
