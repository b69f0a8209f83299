import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Root } from "../engine/root.js";
import { renderPlan, renderReport } from "../engine/render.js";
import { gatherFacts } from "../facts/index.js";
import type { Logger } from "../log.js";
import { loadSite } from "../site/load.js";
import { writeSimulatedCluster } from "../sim/cluster.js";
import type { SimOs } from "../sim/node.js";
import { renderFacts } from "./detect.js";
import { applyNode, planNode } from "./converge.js";

export interface DemoOptions {
  os: SimOs;
  keep: boolean;
}

/**
 * The main job on an embedded default: a simulated ParallelCluster head node and login node sharing
 * /opt/rstudio and /home, with a 10-line site config. The head renders the shared Workbench
 * configuration once; the login node is planned, applied, and applied again (which changes nothing).
 */
export async function runDemo(o: DemoOptions, log: Logger): Promise<number> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-agent-demo-"));
  const say = (s: string) => process.stdout.write(s);
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
