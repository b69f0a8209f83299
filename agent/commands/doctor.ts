import type { Command } from "commander";
import { SpawnRunner } from "../engine/runner.js";
import { DEFAULT_SITE_PATH } from "../site/load.js";
import { runChecks } from "../doctor/checks.js";
import { checksFor } from "../doctor/role-checks.js";
import { doctorFailed, doctorJson, renderDoctorTable } from "../doctor/report.js";
import { ExitCode } from "../errors.js";
import { armDeadline, deadlineOption } from "./cli-support.js";
import { openNode } from "./node.js";

/**
 * `pwb-agent doctor`: is this node healthy for its role? A human table or --json; exit 1 when any
 * check failed. On a simulated root (--root) checks of the running system say "skipped" instead of passing.
 */
export function addDoctorCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("doctor")
    .description("check this node's health for its role: config, keys, services, endpoints, database, storage; exit 1 on any failure")
    .addOption(deadlineOption("doctor", 300))
    .action(async (o: { deadline: number }, cmd: Command) => {
      armDeadline(o.deadline, "doctor");
      const { g, log, root, facts, site } = await openNode(cmd, { site: true });
      const env = { root, runner: new SpawnRunner(log, !root.live), role: facts.role, site, siteSource: g.site ?? DEFAULT_SITE_PATH };
      const results = await runChecks(checksFor(env));
      process.stdout.write(g.json ? JSON.stringify(doctorJson(results, facts.role, !root.live), null, 2) + "\n" : renderDoctorTable(results, facts.role));
      setExit(doctorFailed(results) ? ExitCode.failure : ExitCode.ok);
    });
}
