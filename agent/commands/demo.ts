import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Root } from "../engine/root.js";
import { renderPlan, renderReport } from "../engine/render.js";
import { gatherFacts } from "../facts/index.js";
import type { Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import { writeSimulatedNode, type SimOs } from "../sim/node.js";
import { renderFacts } from "./detect.js";
import { applyNode, planNode } from "./converge.js";

export interface DemoOptions {
  role: Role;
  os: SimOs;
  keep: boolean;
}

/**
 * The main job on an embedded default: a simulated ParallelCluster node under a temp root,
 * then detect → plan → apply → apply again (which must change nothing).
 */
export async function runDemo(o: DemoOptions, log: Logger): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-agent-demo-"));
  const say = (s: string) => process.stdout.write(s);
  try {
    await writeSimulatedNode(dir, { role: o.role, os: o.os, gpus: 0 });
    const root = new Root(dir);
    say(`Simulated ParallelCluster ${o.role} node (${o.os}) under ${dir}\n\n`);

    say("$ pwb-agent detect\n");
    const facts = await gatherFacts({ root, imds: { enabled: false }, log });
    say(renderFacts(facts) + "\n");

    say("$ pwb-agent plan\n");
    say(renderPlan(await planNode(root, facts, log)) + "\n");

    say("$ pwb-agent apply\n");
    say(renderReport(await applyNode(root, facts, log, { lockTimeoutMs: 5_000 })) + "\n");

    say("$ pwb-agent apply   # again: a converged node changes nothing\n");
    const second = await applyNode(root, facts, log, { lockTimeoutMs: 5_000 });
    say(renderReport(second));
    const converged = second.changes === 0 && second.filesWritten === 0 && second.restarted.length === 0;
    say(converged ? "\nConverged: the second apply made 0 changes and wrote 0 bytes.\n" : "\nNOT converged: see above.\n");
    if (o.keep) say(`Kept the simulated node at ${dir}\n`);
    return converged ? 0 : 1;
  } finally {
    if (!o.keep) await fs.rm(dir, { recursive: true, force: true });
  }
}
