import path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { readOwed, stillOwed } from "../engine/owed.js";
import { SpawnRunner } from "../engine/runner.js";
import type { Change } from "../engine/types.js";
import { DEFAULT_SITE_PATH } from "../site/load.js";
import { runChecks } from "../doctor/checks.js";
import { E2E_TIMEOUT_S, e2eChecks } from "../doctor/e2e.js";
import { checksFor, type DoctorEnv } from "../doctor/role-checks.js";
import { doctorFailed, doctorJson, renderDoctorTable } from "../doctor/report.js";
import { BadInputError, ExitCode } from "../errors.js";
import { doctorMetrics, NODE_TEXTFILES } from "../metrics/node.js";
import { appendRunLog } from "../metrics/run-log.js";
import { SLURM_TEXTFILE, slurmStateMetrics } from "../metrics/slurm.js";
import { writeTextfile } from "../metrics/textfile.js";
import { armDeadline, positiveSeconds as seconds } from "./cli-support.js";
import { planNode } from "./converge.js";
import { openNode } from "./node.js";

/** Without --e2e doctor only reads and asks local services: minutes mean something hangs. */
const DOCTOR_DEADLINE_S = 300;

const positiveSeconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of seconds ≥ 1");
  return n;
};

/**
 * `pwb-agent doctor`: is this node healthy for its role? A human table or --json; exit 1 when any
 * check failed. On a simulated root (--root) checks of the running system say "skipped" instead of
 * passing, and nothing outside this machine is contacted. Every run leaves its verdicts in the node's
 * metrics textfile.
 */
export function addDoctorCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("doctor")
    .description("check this node's health for its role: config, keys, services, Slurm, containers, GPUs, the agent's own state; exit 1 on any failure")
    .option("--e2e", "head node: also run a tiny job on every partition (a container job where containers are on, nvidia-smi on GPU partitions)")
    .addOption(new Option("--e2e-timeout <seconds>", "how long each --e2e job may take, node power-up included").argParser(positiveSeconds).default(E2E_TIMEOUT_S))
    .addOption(new Option("--deadline <seconds>", `give up (exit 1) when doctor has not finished after this long; 0: never (default ${DOCTOR_DEADLINE_S}, none with --e2e)`).argParser(seconds))
    .action(async (o: { e2e?: boolean; e2eTimeout: number; deadline?: number }, cmd: Command) => {
      armDeadline(o.deadline ?? (o.e2e ? 0 : DOCTOR_DEADLINE_S), "doctor");
      // A simulated root (--root) is not this machine's node: never ask this machine's IMDS about it.
      const simulated = path.resolve((cmd.optsWithGlobals() as { root?: string }).root ?? "/") !== "/";
      const { g, log, root, facts, site } = await openNode(cmd, { site: true, ...(simulated ? { imds: false } : {}) });
      if (o.e2e && facts.role !== "head") throw new BadInputError(`--e2e runs on the head node (this node is a ${facts.role} node)`);
      const plans = new Map<string, Promise<Change[]>>();
      const env: DoctorEnv = {
        root,
        runner: new SpawnRunner(log, !root.live),
        facts,
        site,
        siteSource: g.site ?? DEFAULT_SITE_PATH,
        planChanges(only) {
          const key = only?.join(",") ?? "*";
          if (!plans.has(key)) plans.set(key, planNode(root, facts, log, { site, ...(only ? { only } : {}) }));
          return plans.get(key)!;
        },
      };
      const checks = checksFor(env);
      if (o.e2e && site) checks.push(...e2eChecks(root, env.runner, site, { timeoutS: o.e2eTimeout }));
      const started = performance.now();
      const results = await runChecks(checks);
      const drift = plans.has("*") ? await plans.get("*")!.then((c) => c.length, () => null) : null;
      try {
        const owed = (await stillOwed(root, env.runner, await readOwed(root, log))).length;
        await writeTextfile(root, NODE_TEXTFILES.doctor, doctorMetrics(facts, results, Date.now(), drift, owed));
        const failed = results.filter((r) => r.status === "fail").map((r) => r.id);
        await appendRunLog(root, { command: "doctor", role: facts.role, success: failed.length === 0, durationMs: Math.round(performance.now() - started), items: failed });
      } catch (e) {
        log.warn({ err: (e as Error).message }, "could not record doctor's verdicts (metrics textfile, run log)");
      }
      // The live head node also exports the cluster's job and node states (the dashboard's Slurm panels).
      if (root.live && site && facts.role === "head") {
        await slurmStateMetrics(env.runner, site, Date.now())
          .then((m) => writeTextfile(root, SLURM_TEXTFILE, m))
          .catch((e: Error) => log.warn({ err: e.message }, "could not write the Slurm metrics textfile"));
      }
      process.stdout.write(g.json ? JSON.stringify(doctorJson(results, facts.role, !root.live), null, 2) + "\n" : renderDoctorTable(results, facts.role));
      setExit(doctorFailed(results) ? ExitCode.failure : ExitCode.ok);
    });
}
