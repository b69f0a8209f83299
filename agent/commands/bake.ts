import { Option, type Command } from "commander";
import { renderBuildImageConfig } from "../bake/ami.js";
import { bakeJson, renderBake } from "../bake/index.js";
import { ExitCode } from "../errors.js";
import { globals, loggerFor, positiveSeconds } from "./cli-support.js";
import { bakeNode } from "./converge.js";
import { openNode, requireSite } from "./node.js";

/**
 * The AMI build's commands: `bake` (runs inside the image build) and `ami render` (its
 * `pcluster build-image` config). One registration, since both exist only for the baked image.
 */
export function addBakeCommands(program: Command, setExit: (code: number) => void): void {
  addBakeCommand(program, setExit);
  addAmiCommand(program, setExit);
}

/**
 * `pwb-agent bake`: at AMI build time, the engine converges the image phase of every component for
 * every role (Workbench, R, Python, Quarto, Apptainer, the SPANK plugin, CUDA when asked), so a node
 * that boots from the image only configures. Same plan, lock, verified downloads and atomic writes as
 * `apply`; `--dry-run` prints the plan. A second run fetches and installs nothing.
 */
function addBakeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("bake")
    .description("AMI build time: converge the image phase of every component for every role (packages, artifacts, builds); services left disabled")
    .option("--dry-run", "print the plan; change nothing")
    .option("--lock-timeout <seconds>", "wait this long for a running apply or bake", positiveSeconds, 600)
    .action(async (o: { dryRun?: boolean; lockTimeout: number }, cmd: Command) => {
      const node = await openNode(cmd, { site: true, role: "compute" });
      const { g, log, root, facts } = node;
      const site = requireSite(node, "bake");
      // Progress bars belong on a terminal; with --json stdout carries the report, so draw on stderr.
      const stream = g.json ? process.stderr : process.stdout;
      const result = await bakeNode(root, facts, log, {
        site,
        dryRun: o.dryRun === true,
        lockTimeoutMs: o.lockTimeout * 1000,
        fetch: { tty: stream.isTTY ? stream : null },
      });
      process.stdout.write(g.json ? JSON.stringify(bakeJson(result), null, 2) + "\n" : renderBake(result));
      setExit(o.dryRun && result.changes.length ? ExitCode.changesPending : ExitCode.ok);
    });
}

/** `pwb-agent ami render`: the ParallelCluster build-image config for this site's AMI, on stdout. */
function addAmiCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("ami")
    .description("the Workbench AMI's ParallelCluster build-image config")
    .command("render")
    .description("print a pcluster build-image config: parent image, instance type, the pwb-bake.sh component, UpdateOsPackages")
    .requiredOption("--parent-image <ami>", "the AMI to build on (a ParallelCluster AMI for your OS)")
    .requiredOption("--instance-type <type>", "the EC2 instance type that builds the image")
    .option("--component-url <url>", "s3:// or https:// URL of ami/pwb-bake.sh as uploaded (default <mirror.url>/ami/pwb-bake.sh)")
    .addOption(new Option("--no-update-os-packages", "leave the parent image's OS packages as they are"))
    .action(async (o: { parentImage: string; instanceType: string; componentUrl?: string; updateOsPackages: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const site = requireSite(await openNode(cmd, { site: true, imds: false, log: loggerFor({ ...g, quiet: !g.verbose }) }), "ami render");
      process.stdout.write(renderBuildImageConfig({
        site,
        parentImage: o.parentImage,
        instanceType: o.instanceType,
        ...(o.componentUrl ? { componentUrl: o.componentUrl } : {}),
        updateOsPackages: o.updateOsPackages,
      }));
      setExit(ExitCode.ok);
    });
}
