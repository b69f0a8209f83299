import { Command, CommanderError, Option } from "commander";
import { armDeadline, deadlineOption, httpUrl, seconds } from "./commands/flags.js";
import { globals, loggerFor, nodeFromFlags } from "./commands/globals.js";
import { printPlan, printReport } from "./commands/print.js";
import { applyNode, planNode } from "./node/converge.js";
import { recordedApply } from "./node/record.js";
import { addAlbCommands } from "./commands/alb.js";
import { addClusterConfigCommand } from "./commands/cluster-config.js";
import { addFleetCommand } from "./commands/fleet.js";
import { addDoctorCommand } from "./commands/doctor.js";
import { addBakeCommands } from "./commands/bake.js";
import { BadInputError, ExitCode, exitCodeFor } from "./errors.js";
import { ROLES } from "./facts/types.js";
import { DEFAULT_SITE_PATH } from "./site/load.js";
import { scrubSecrets } from "./log.js";
import { renderFacts } from "./facts/render.js";
import { runDemo } from "./simulation/demo.js";
import { SIM_OSES, type SimOs } from "./simulation/node.js";
import { VERSION } from "./version.js";

/** Under the 600 s a login node's launch lifecycle hook waits before ParallelCluster abandons it. */
const APPLY_DEADLINE_S = 540;

// size: the command tree in the order `--help` lists it; each command's body is one call into its file.
function build(setExit: (code: number) => void): Command {
  const program = new Command("pwb-agent")
    .description("Converge AWS ParallelCluster nodes for Posit Workbench: detect the role, plan, apply.")
    .version(VERSION, "-V, --version")
    .option("--root <dir>", "filesystem root of the node (a simulated node when not /)", "/")
    .addOption(new Option("--role <role>", "override the detected role").choices(ROLES))
    .option("--json", "machine-readable output on stdout (logs move to stderr)", false)
    .option("-q, --quiet", "log warnings and errors only", false)
    .option("-v, --verbose", "log debug detail (every command run, with its duration)", false)
    .option("--no-imds", "do not ask the EC2 instance metadata service")
    .addOption(new Option("--imds-endpoint <url>", "IMDS endpoint (default http://169.254.169.254 or $AWS_EC2_METADATA_SERVICE_ENDPOINT)").argParser(httpUrl))
    .option("--site <file>", `site config: a YAML file or s3://bucket/key (default ${DEFAULT_SITE_PATH} under --root; absent: Workbench is skipped)`)
    .showHelpAfterError()
    // Throw instead of exiting, in every subcommand added below, so usage errors map to exit 2.
    .exitOverride();

  program
    .command("detect")
    .description("print this node's facts: role, cluster, instance, OS, CPU, memory, GPU")
    .action(async (_o, cmd: Command) => {
      const { g, facts } = await nodeFromFlags(cmd);
      process.stdout.write(g.json ? JSON.stringify(facts, null, 2) + "\n" : renderFacts(facts));
    });

  program
    .command("plan")
    .description("print what apply would change; exit 0 when in sync, 10 when changes are pending")
    .addOption(deadlineOption("plan", 300))
    .action(async (o: { deadline: number }, cmd: Command) => {
      armDeadline(o.deadline, "plan");
      const { g, log, root, facts, site } = await nodeFromFlags(cmd, { site: true });
      setExit(printPlan(await planNode(root, facts, log, { site }), g.json));
    });

  const lockOption = () =>
    new Option("--lock-timeout <seconds>", "wait this long for another apply to finish").argParser(seconds).default(120);

  program
    .command("apply")
    .description("converge this node to its role: change only what differs, restart only what changed")
    .addOption(lockOption())
    .addOption(deadlineOption("apply", APPLY_DEADLINE_S))
    .action(async (o: { lockTimeout: number; deadline: number }, cmd: Command) => {
      armDeadline(o.deadline, "apply");
      const { g, log, root, facts, site } = await nodeFromFlags(cmd, { site: true });
      const report = await recordedApply(root, facts, site, log, () => applyNode(root, facts, log, { lockTimeoutMs: o.lockTimeout * 1000, site }));
      setExit(printReport(report, g.json));
    });

  program
    .command("units")
    .description("the agent's own systemd units")
    .command("install")
    .description("install the agent's units and enable the ones this role runs")
    .addOption(lockOption())
    .action(async (o: { lockTimeout: number }, cmd: Command) => {
      const { g, log, root, facts } = await nodeFromFlags(cmd);
      const report = await applyNode(root, facts, log, { lockTimeoutMs: o.lockTimeout * 1000, only: ["units"] });
      setExit(printReport(report, g.json));
    });

  program
    .command("demo")
    .description("simulate a head and a login node under a temp root: apply the head, then plan, apply and re-apply the login node")
    .addOption(new Option("--os <os>", "OS of the simulated nodes").choices(Object.keys(SIM_OSES)).default("rocky9"))
    .option("--keep [dir]", "keep the simulated cluster's directory; with --bake and a DIR: leave DIR/image (the baked image) and DIR/site.yaml", false)
    .option("--bake", "the AMI lifecycle: bake an image root from a loopback mirror, then boot a head, a login, a CPU and a GPU compute node from copies", false)
    .action(async (o: { os: SimOs; keep: boolean | string; bake: boolean }, cmd: Command) => {
      const g = globals(cmd);
      // The demo's own output is the point: keep the log to warnings unless asked.
      const log = loggerFor({ ...g, quiet: !g.verbose });
      // demo --bake bakes Ubuntu 22.04 (.debs from dpkg-deb) unless --os says rocky9 (rpmbuild, createrepo_c).
      const explicitOs = cmd.getOptionValueSource("os") !== "default";
      if (o.bake && explicitOs && o.os !== "ubuntu2204" && o.os !== "rocky9") throw new BadInputError(`--os ${o.os}: demo --bake bakes ubuntu2204 (default) or rocky9`);
      setExit(await runDemo({ os: o.bake && !explicitOs ? "ubuntu2204" : o.os, keep: o.keep, bake: o.bake }, log, (text) => process.stdout.write(text)));
    });

  addDoctorCommand(program, setExit);
  addClusterConfigCommand(program, setExit);
  addFleetCommand(program, setExit);
  addAlbCommands(program, setExit);
  addBakeCommands(program, setExit);

  program
    .command("version")
    .description("print the agent and embedded Node versions")
    .action((_o, cmd: Command) => {
      const g = globals(cmd);
      const info = { version: VERSION, node: process.versions.node, sea: isSea() };
      process.stdout.write(g.json ? JSON.stringify(info) + "\n" : `pwb-agent ${info.version} (node ${info.node}${info.sea ? ", single executable" : ""})\n`);
    });

  return program;
}

function isSea(): boolean {
  try {
    // node:sea exists from Node 20.12; a plain `node bundle.cjs` run says false.
    return (require("node:sea") as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const program = build((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors are bad input.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    const message = scrubSecrets(e instanceof Error ? e.message : String(e));
    process.stderr.write(`pwb-agent: ${e instanceof BadInputError ? "error" : "failed"}: ${message}\n`);
    const already = (e as { details?: { alreadyApplied?: string[] } }).details?.alreadyApplied;
    if (already?.length) process.stderr.write(`already applied: ${already.join(", ")}\n`);
    return exitCodeFor(e);
  }
}
