import path from "node:path";
import { Option, type Command } from "commander";
import { E2E_TIMEOUT_S } from "../node/doctor/e2e.js";
import { runDoctor } from "../node/doctor/run.js";
import { doctorFailed, doctorJson, renderDoctorTable } from "../doctor/report.js";
import { ExitCode } from "../errors.js";
import { armDeadline, seconds, wholeSecondsAtLeastOne } from "./flags.js";
import { nodeFromFlags } from "./globals.js";

/** Without --e2e doctor only reads and asks local services: minutes mean something hangs. */
const DOCTOR_DEADLINE_S = 300;

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
    .addOption(new Option("--e2e-timeout <seconds>", "how long each --e2e job may take, node power-up included").argParser(wholeSecondsAtLeastOne).default(E2E_TIMEOUT_S))
    .addOption(new Option("--deadline <seconds>", `give up (exit 1) when doctor has not finished after this long; 0: never (default ${DOCTOR_DEADLINE_S}, none with --e2e)`).argParser(seconds))
    .action(async (o: { e2e?: boolean; e2eTimeout: number; deadline?: number }, cmd: Command) => {
      armDeadline(o.deadline ?? (o.e2e ? 0 : DOCTOR_DEADLINE_S), "doctor");
      // A simulated root (--root) is not this machine's node: never ask this machine's IMDS about it.
      const simulated = path.resolve((cmd.optsWithGlobals() as { root?: string }).root ?? "/") !== "/";
      const node = await nodeFromFlags(cmd, { site: true, ...(simulated ? { imds: false } : {}) });
      const results = await runDoctor(node, { e2e: o.e2e === true, e2eTimeoutS: o.e2eTimeout });
      const { g, root, facts } = node;
      process.stdout.write(g.json ? JSON.stringify(doctorJson(results, facts.role, !root.live), null, 2) + "\n" : renderDoctorTable(results, facts.role));
      setExit(doctorFailed(results) ? ExitCode.failure : ExitCode.ok);
    });
}
