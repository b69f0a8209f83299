import { Option, type Command } from "commander";
import { renderBuildImageConfig } from "../bake/ami.js";
import { renderBakeReport, runBake } from "../bake/index.js";
import { BadInputError, ExitCode } from "../errors.js";
import { globals, loggerFor } from "./cli-support.js";
import { engineContext } from "./context.js";
import { openNode, requireSite } from "./node.js";
import { recordBake } from "./recorded.js";

/**
 * The AMI build's commands: `bake` (runs inside the image build) and `ami render` (its
 * `pcluster build-image` config). One registration, since both exist only for the baked image.
 */
export function addBakeCommands(program: Command, setExit: (code: number) => void): void {
  addBakeCommand(program, setExit);
  addAmiCommand(program, setExit);
}

/**
 * `pwb-agent bake`: at AMI build time, download, verify and install the site's Workbench, R, Python
 * and Quarto versions, so a node that boots from the image only configures. A second run fetches
 * and installs nothing. Exit 2 when the site is missing or an artifact has no checksum.
 */
function addBakeCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("bake")
    .description("download, verify (sha256) and install Workbench, R, Python and Quarto for an AMI; services left disabled")
    .action(async (_o, cmd: Command) => {
      const node = await openNode(cmd, { site: true });
      const { g, log, root, facts } = node;
      const site = requireSite(node, "bake");
      // Progress bars belong on a terminal; with --json stdout carries the report, so draw on stderr.
      const stream = g.json ? process.stderr : process.stdout;
      const started = performance.now();
      const bake = runBake({ site, os: facts.os, ctx: engineContext(root, facts, log, false), tty: stream.isTTY ? stream : null });
      // The image's metrics say how its bake went, failed or not (agent/metrics/node.ts).
      const outcome = (report: Awaited<typeof bake> | null) => ({
        finishedAt: Date.now(),
        success: report !== null,
        durationMs: Math.round(performance.now() - started),
        installed: report?.artifacts.filter((a) => a.install === "installed").length ?? 0,
        downloaded: report?.artifacts.filter((a) => a.fetch === "downloaded" || a.fetch === "resumed").length ?? 0,
      });
      const report = await bake.catch(async (e: unknown) => {
        // Bad input changes nothing on disk, metrics included.
        if (!(e instanceof BadInputError)) await recordBake(root, facts, log, outcome(null));
        throw e;
      });
      await recordBake(root, facts, log, outcome(report));
      process.stdout.write(g.json ? JSON.stringify(report, null, 2) + "\n" : renderBakeReport(report));
      setExit(ExitCode.ok);
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
