// Bundled and run by bench/boot.mjs. The AMI lifecycle on fixture artifacts from a loopback mirror
// (agent/simulation/image.ts): bake an Ubuntu 22.04 image root with real dpkg, boot a head, a login, a CPU and a
// GPU compute node from copies, and count what each first boot installs, downloads and runs. Beside it,
// the same compute node booted from the unbaked parent image, for the side-by-side.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyNode } from "../../agent/node/converge.js";
import { Root } from "../../agent/nodefs/root.js";
import type { ApplyReport } from "../../agent/engine/types.js";
import { gatherFacts } from "../../agent/facts/index.js";
import { silentLogger } from "../../agent/log.js";
import { joinCluster } from "../../agent/simulation/cluster.js";
import { LIFECYCLE, lifecycleSite, runLifecycle, startFixtureMirror } from "../../agent/simulation/image.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { parseSiteText } from "../../agent/site/load.js";

/** Commands a first boot runs or would run, leaving out systemctl (starting services is what a boot is for). */
const commands = (r: ApplyReport) => r.commandsRun + r.deferred.filter((argv) => argv[0] !== "systemctl" && !["apt-get", "dnf"].includes(argv[0]!)).length;
/** Package installs, including those recorded on the simulated root (a live node would run them). */
const installs = (r: ApplyReport) => r.packagesInstalled;

async function main(): Promise<void> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-bench-boot-"));
  const log = silentLogger();
  const mirror = await startFixtureMirror(base);
  try {
    const lc = await runLifecycle(base, log, { mirror });

    // The same compute node on the parent image, never baked: what a boot costs without this AMI.
    const parent = path.join(base, "parent-compute");
    await writeSimulatedNode(parent, { role: "compute", os: "ubuntu2204" });
    await fs.mkdir(path.join(parent, "opt/slurm/include/slurm"), { recursive: true });
    await fs.writeFile(path.join(parent, "opt/slurm/include/slurm/slurm_version.h"), `#define SLURM_VERSION_NUMBER ${LIFECYCLE.slurm}\n`);
    await joinCluster(parent, path.join(base, "shared"), lifecycleSite(mirror));
    const root = new Root(parent);
    const facts = await gatherFacts({ root, imds: { enabled: false }, log });
    const site = parseSiteText(lifecycleSite(mirror), "site.yaml");
    const before = mirror.requests.length;
    const t0 = performance.now();
    const unbaked = await applyNode(root, facts, log, { site, lockTimeoutMs: 5_000 });
    const unbakedMs = Math.round(performance.now() - t0);
    const unbakedDownloads = mirror.requests.length - before;

    const rows = lc.boots.map((b) => ({ node: b.node, installs: installs(b.report), downloads: b.report.downloads + b.mirrorRequests, commands: commands(b.report), heavyInPlan: b.heavy, applyMs: b.applyWallMs }));
    console.log("first boot             installs  downloads  commands  heavy-in-plan  apply ms");
    for (const r of rows) console.log(`${r.node.padEnd(22)} ${String(r.installs).padStart(8)} ${String(r.downloads).padStart(10)} ${String(r.commands).padStart(9)} ${String(r.heavyInPlan).padStart(14)} ${String(r.applyMs).padStart(9)}`);
    console.log(`${"compute, unbaked parent".padEnd(22)} ${String(installs(unbaked)).padStart(8)} ${String(unbakedDownloads).padStart(10)} ${String(commands(unbaked)).padStart(9)} ${"-".padStart(14)} ${String(unbakedMs).padStart(9)}`);
    const compute = lc.boots.find((b) => b.node === "compute")!;
    const login = lc.boots.find((b) => b.node === "login")!;
    console.log(`bake ${lc.bakeMs} ms once; compute first boot ${compute.applyWallMs} ms baked vs ${unbakedMs} ms unbaked on a simulated root (${(unbakedMs / Math.max(1, compute.applyWallMs)).toFixed(2)}x; installs ${installs(compute.report)} vs ${installs(unbaked)}, commands ${commands(compute.report)} vs ${commands(unbaked)})`);
    console.log(JSON.stringify({
      bench: "boot",
      installsAtBoot: rows.reduce((n, r) => n + r.installs, 0),
      downloadsAtBoot: rows.reduce((n, r) => n + r.downloads, 0),
      commandsAtBoot: rows.reduce((n, r) => n + r.commands, 0),
      loginBootApplyMs: login.applyWallMs,
      computeBootApplyMs: compute.applyWallMs,
      bakeMs: lc.bakeMs,
    }));
  } finally {
    await mirror.close();
    await fs.rm(base, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
