import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Root } from "../nodefs/root.js";
import { renderPlan, renderReport } from "../engine/render.js";
import { gatherFacts } from "../facts/index.js";
import type { Logger } from "../log.js";
import { loadSite } from "../site/load.js";
import { renderBake, type BakeResult } from "../bake/render.js";
import { renderFacts } from "../facts/render.js";
import { applyNode, planNode } from "../node/converge.js";
import { writeSimulatedCluster } from "./cluster.js";
import { runLifecycle, type BootFigures } from "./image.js";
import type { SimOs } from "./node.js";

export interface DemoOptions {
  os: SimOs;
  /** true: keep the temp directory; a path (with --bake): copy the image and its site there. */
  keep: boolean | string;
  bake?: boolean;
}

/**
 * The main job on an embedded default: a simulated ParallelCluster head node and login node sharing
 * /opt/rstudio and /home, with a 10-line site config. The head renders the shared Workbench
 * configuration once; the login node is planned, applied, and applied again (which changes nothing).
 * What a person would see goes to `say`; the exit code is returned.
 */
export async function runDemo(o: DemoOptions, log: Logger, say: (text: string) => void): Promise<number> {
  if (o.bake) return runBakeDemo(o, log, say);
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-agent-demo-"));
  try {
    const cluster = await writeSimulatedCluster(base, { os: o.os });
    const node = async (dir: string) => {
      const root = new Root(dir);
      const facts = await gatherFacts({ root, imds: { enabled: false }, log });
      const site = await loadSite({ root, region: facts.cluster.region, log });
      return { root, facts, site };
    };
    say(`Simulated ParallelCluster (${o.os}) under ${base}: a head node and a login node sharing\n`);
    say(`/opt/rstudio (EFS) and /home (FSx), each with the site config at /etc/pwb-agent/site.yaml.\n\n`);

    const login = await node(cluster.login);
    say("login$ pwb-agent detect\n");
    say(renderFacts(login.facts) + "\n");

    const head = await node(cluster.head);
    say("head$ pwb-agent apply      # renders the shared Workbench configuration and keys, once\n");
    say(renderReport(await applyNode(head.root, head.facts, log, { lockTimeoutMs: 5_000, site: head.site })) + "\n");

    say("login$ pwb-agent plan\n");
    say(renderPlan(await planNode(login.root, login.facts, log, { site: login.site })) + "\n");

    say("login$ pwb-agent apply\n");
    say(renderReport(await applyNode(login.root, login.facts, log, { lockTimeoutMs: 5_000, site: login.site })) + "\n");

    say("login$ pwb-agent apply     # again: a converged node changes nothing\n");
    const second = await applyNode(login.root, login.facts, log, { lockTimeoutMs: 5_000, site: login.site });
    say(renderReport(second));
    const converged = second.changes === 0 && second.filesWritten === 0 && second.restarted.length === 0;
    say(converged ? "\nConverged: the second apply made 0 changes and wrote 0 bytes.\n" : "\nNOT converged: see above.\n");
    if (o.keep) say(`Kept the simulated cluster at ${base} (login node: ${cluster.login})\n`);
    return converged ? 0 : 1;
  } finally {
    if (!o.keep) await fs.rm(base, { recursive: true, force: true });
  }
}

/**
 * The AMI lifecycle on an embedded default: a loopback mirror of small fixture artifacts (Ubuntu 22.04
 * .debs and tarballs), a bake of an image root, then a head, a login, a CPU and a GPU compute node
 * booted from copies of that image, each printing its first-boot plan and apply with counts.
 */
async function runBakeDemo(o: DemoOptions, log: Logger, say: (text: string) => void): Promise<number> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-agent-demo-bake-"));
  try {
    const lcOs = o.os === "rocky9" ? "rocky9" : "ubuntu2204";
    say(`AMI lifecycle under ${base}: a loopback mirror of fixture artifacts, a${lcOs === "rocky9" ? " Rocky 9" : "n Ubuntu 22.04"} image root\n`);
    say("(Slurm headers under /opt/slurm, as ParallelCluster AMIs ship them), then four nodes booted from copies.\n\n");
    say("image$ pwb-agent bake\n");
    const lc = await runLifecycle(base, log, {
      os: lcOs,
      onStep(what, detail) {
        if (what === "bake") {
          const { bake, bakeMs } = detail as { bake: BakeResult; bakeMs: number };
          say(renderBake(bake));
          say(`bake wall time: ${bakeMs} ms\n\n`);
          return;
        }
        const b = detail as BootFigures;
        say(`${b.node}$ pwb-agent plan      # first boot (${b.role})\n${renderPlan(b.plan)}\n`);
        say(`${b.node}$ pwb-agent apply\n${renderReport(b.report)}`);
        say(`first boot of ${b.node}: ${b.report.packagesInstalled} packages installed, ${b.report.downloads} downloads, ${b.heavy} package/download/command resources, ${b.report.commandsRun} commands run, ${b.applyWallMs} ms\n\n`);
      },
    });
    const heavy = lc.boots.reduce((n, b) => n + b.heavy + b.report.packagesInstalled + b.report.downloads + b.report.commandsRun, 0);
    say(heavy === 0 ? "Zero-install first boot on every role: nothing installed, downloaded or run.\n" : `NOT a zero-install boot: ${heavy} installs, downloads or commands at first boot (see above).\n`);
    if (typeof o.keep === "string") {
      const dest = path.resolve(o.keep);
      await fs.mkdir(dest, { recursive: true });
      await fs.cp(lc.image, path.join(dest, "image"), { recursive: true, verbatimSymlinks: true });
      await fs.copyFile(lc.site, path.join(dest, "site.yaml"));
      say(`Kept the baked image (never booted) at ${path.join(dest, "image")} and its site at ${path.join(dest, "site.yaml")}\n`);
    } else if (o.keep) say(`Kept the lifecycle's directory at ${base}\n`);
    return heavy === 0 ? 0 : 1;
  } finally {
    if (o.keep !== true) await fs.rm(base, { recursive: true, force: true });
  }
}
