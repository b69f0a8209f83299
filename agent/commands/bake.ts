import { Option, type Command } from "commander";
import { renderBuildImageConfig } from "../bake/ami.js";
import { COMPONENT_NAME, componentUrl, renderBakeComponent } from "../bake/component.js";
import { writeAll } from "../pcluster/outputs.js";
import { bakeJson, renderBake } from "../bake/render.js";
import { BadInputError, ExitCode } from "../errors.js";
import { bakeNode } from "../node/converge.js";
import { requireSite } from "../node/open.js";
import { recordedBake } from "../node/record.js";
import { seconds } from "./flags.js";
import { globals, loggerFor, nodeFromFlags } from "./globals.js";

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
    .option("--lock-timeout <seconds>", "wait this long for a running apply or bake", seconds, 600)
    .action(async (o: { dryRun?: boolean; lockTimeout: number }, cmd: Command) => {
      const node = await nodeFromFlags(cmd, { site: true, role: "compute" });
      const { g, log, root, facts } = node;
      const site = requireSite(node, "bake");
      // Progress bars belong on a terminal; with --json stdout carries the report, so draw on stderr.
      const stream = g.json ? process.stderr : process.stdout;
      const dryRun = o.dryRun === true;
      const result = await recordedBake(root, facts, site, log, dryRun, () => bakeNode(root, facts, log, { site, dryRun, lockTimeoutMs: o.lockTimeout * 1000, fetch: { tty: stream.isTTY ? stream : null } }));
      process.stdout.write(g.json ? JSON.stringify(bakeJson(result), null, 2) + "\n" : renderBake(result));
      setExit(dryRun && result.changes.length ? ExitCode.changesPending : ExitCode.ok);
    });
}

/**
 * `pwb-agent ami render`: the ParallelCluster build-image config for this site's AMI, on stdout; with
 * `--out DIR` also the build component (pwb-bake.sh) with the package and site URLs written into it.
 */
function addAmiCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("ami")
    .description("the Workbench AMI's ParallelCluster build-image config")
    .command("render")
    .description("print a pcluster build-image config (parent image, instance type, the pwb-bake.sh component, UpdateOsPackages); --out DIR also writes the component")
    .requiredOption("--parent-image <ami>", "the AMI to build on (a ParallelCluster AMI for your OS)")
    .requiredOption("--instance-type <type>", "the EC2 instance type that builds the image")
    .option("--component-url <url>", "s3:// or https:// URL the rendered pwb-bake.sh is uploaded to (default <mirror.url>/ami/pwb-bake.sh)")
    .option("--package-url <url>", "s3:// or https:// URL of the pwb-agent .rpm/.deb the build installs (needed with --out)")
    .option("--site-url <url>", "s3:// or https:// URL of the site config the build bakes (default: --site when it is one)")
    .option("--out <dir>", "write build-image.yaml and pwb-bake.sh (with the package and site URLs) here")
    .addOption(new Option("--no-update-os-packages", "leave the parent image's OS packages as they are"))
    .action(async (o: { parentImage: string; instanceType: string; componentUrl?: string; packageUrl?: string; siteUrl?: string; out?: string; updateOsPackages: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const site = requireSite(await nodeFromFlags(cmd, { site: true, imds: false, log: loggerFor({ ...g, quiet: !g.verbose }) }), "ami render");
      const config = renderBuildImageConfig({
        site,
        parentImage: o.parentImage,
        instanceType: o.instanceType,
        ...(o.componentUrl ? { componentUrl: o.componentUrl } : {}),
        updateOsPackages: o.updateOsPackages,
      });
      if (!o.out) {
        process.stdout.write(config);
        setExit(ExitCode.ok);
        return;
      }
      // Every input checked before the first file is written.
      if (!o.packageUrl) throw new BadInputError("--out needs --package-url (where the build instance fetches the pwb-agent package)");
      const packageUrl = componentUrl("--package-url", o.packageUrl, /\.(rpm|deb)$/);
      const siteSource = o.siteUrl ?? (g.site && /^(s3|https):\/\//.test(g.site) ? g.site : undefined);
      if (!siteSource) throw new BadInputError("--out needs --site-url (or --site s3://… / https://…): where the build instance fetches the site config");
      const siteUrl = componentUrl(o.siteUrl ? "--site-url" : "--site", siteSource);
      const written = await writeAll(o.out, [
        { path: "build-image.yaml", content: config, mode: 0o644 },
        { path: COMPONENT_NAME, content: renderBakeComponent({ packageUrl, siteUrl }), mode: 0o755 },
      ]);
      process.stdout.write(`${written.map((w) => `wrote ${w}`).join("\n")}\nUpload ${COMPONENT_NAME} where build-image.yaml's component points, then: pcluster build-image --image-configuration build-image.yaml\n`);
      setExit(ExitCode.ok);
    });
}
