import { promises as fs } from "node:fs";
import path from "node:path";
import { bakeNode, planNode, applyNode, type BakeResult } from "../commands/converge.js";
import { Root } from "../engine/root.js";
import type { ApplyReport, Change } from "../engine/types.js";
import { gatherFacts } from "../facts/index.js";
import type { Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import { loadSite, parseSiteText } from "../site/load.js";
import { joinCluster, writeDatabasePassword } from "./cluster.js";
import { buildDeb, buildTarball, sha256 } from "./fixture-packages.js";
import { startLoopbackMirror, type LoopbackMirror } from "./mirror.js";
import { writeSimulatedNode } from "./node.js";

/** The versions the lifecycle bakes: small stand-ins laid out where the real builds put their files. */
export const LIFECYCLE = { r: "4.4.1", python: "3.12.4", quarto: "1.5.57", workbench: "2024.12.1+563.pro5", apptainer: "1.4.5", slurm: "0x170b04" } as const;

const V = LIFECYCLE;
const MIRROR_PATHS = {
  r: `/r/ubuntu-2204/r-${V.r}_1_amd64.deb`,
  python: `/python/ubuntu-2204/python-${V.python}_1_amd64.deb`,
  quarto: `/quarto/quarto-${V.quarto}-linux-amd64.tar.gz`,
  workbench: `/workbench/jammy/rstudio-workbench-${V.workbench.replace("+", "-")}-amd64.deb`,
  apptainer: `/apptainer/apptainer_${V.apptainer}_amd64.deb`,
  spank: "/spank/slurm-singularity-exec-3.2.0.tar.gz",
};

const unit = (name: string, exec: string) => `[Unit]\nDescription=${name} (stand-in)\n[Service]\nExecStart=${exec}\n[Install]\nWantedBy=multi-user.target\n`;

/** The mirror's files (Ubuntu 22.04 builds) and its SHA256SUMS. */
export async function fixtureMirrorFiles(work: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  files.set(MIRROR_PATHS.r, await buildDeb(work, { name: `r-${V.r}`, version: "1", files: { [`opt/R/${V.r}/bin/R`]: `#!/bin/sh\necho "R version ${V.r}"\n`, [`opt/R/${V.r}/bin/Rscript`]: "#!/bin/sh\n" } }));
  files.set(MIRROR_PATHS.python, await buildDeb(work, {
    name: `python-${V.python}`, version: "1",
    files: { [`opt/python/${V.python}/bin/python3`]: `#!/bin/sh\necho "Python ${V.python}"\n`, [`opt/python/${V.python}/bin/pip3`]: "#!/bin/sh\n" },
  }));
  files.set(MIRROR_PATHS.quarto, await buildTarball(work, `quarto-${V.quarto}`, { "bin/quarto": `#!/bin/sh\necho ${V.quarto}\n` }));
  files.set(MIRROR_PATHS.workbench, await buildDeb(work, {
    name: "rstudio-workbench", version: V.workbench,
    files: {
      "usr/lib/rstudio-server/bin/rserver": "#!/bin/sh\n",
      "usr/lib/systemd/system/rstudio-server.service": unit("rstudio-server", "/usr/lib/rstudio-server/bin/rserver"),
      "usr/lib/systemd/system/rstudio-launcher.service": unit("rstudio-launcher", "/usr/lib/rstudio-server/bin/rstudio-launcher"),
    },
  }));
  files.set(MIRROR_PATHS.apptainer, await buildDeb(work, { name: "apptainer", version: V.apptainer, files: { "usr/bin/apptainer": `#!/bin/sh\necho "apptainer version ${V.apptainer}"\n` } }));
  files.set(MIRROR_PATHS.spank, await buildTarball(work, "slurm-singularity-exec-3.2.0", { "CMakeLists.txt": "project(slurm-singularity-exec)\n" }));
  files.set("/SHA256SUMS", Buffer.from([...files].map(([p, b]) => `${sha256(b)}  ${p.slice(1)}\n`).join("")));
  return files;
}

/** The demo's site with everything baked: runtimes, Workbench, and containers (Apptainer + the SPANK plugin). */
export function lifecycleSite(mirror: LoopbackMirror): string {
  const sum = (p: string) => sha256(mirror.files.get(p)!);
  return `workbench:
  version: ${V.workbench}
  url: https://workbench.example.com
  sharedConfigWaitSeconds: 0
database:
  host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com
  password: { file: /etc/pwb-agent/database-password }
alb:
  name: pwb-workbench
slurm:
  partitions: [{ name: interactive, instanceType: m6i.xlarge }, { name: gpu, instanceType: g5.xlarge, gpus: { count: 1 } }]
mirror:
  url: ${mirror.url}/
runtimes:
  r: { versions: [${V.r}] }
  python: { versions: [${V.python}] }
  quarto: { versions: [${V.quarto}] }
containers:
  enabled: true
apptainer:
  version: ${V.apptainer}
  sha256:
    apptainer_${V.apptainer}_amd64.deb: ${sum(MIRROR_PATHS.apptainer)}
spank:
  source:
    url: ${mirror.url}${MIRROR_PATHS.spank}
    sha256: ${sum(MIRROR_PATHS.spank)}
`;
}

export interface BootFigures {
  node: string;
  role: Role;
  /** The first-boot plan. */
  plan: Change[];
  report: ApplyReport;
  /** Package, download and command resources in the first-boot plan: 0 on a complete image. */
  heavy: number;
  mirrorRequests: number;
}

export interface Lifecycle {
  image: string;
  site: string;
  bake: BakeResult;
  bakeMs: number;
  boots: BootFigures[];
}

export interface LifecycleOptions {
  /** A mirror the caller keeps (and closes); default: one for the lifecycle only. */
  mirror?: LoopbackMirror;
  /** Called after the bake and after each boot, for a running commentary. */
  onStep?(what: "bake" | "boot", detail: unknown): void;
}

const NODES: Array<{ node: string; role: Role; gpus?: number }> = [
  { node: "head", role: "head" },
  { node: "login", role: "login" },
  { node: "compute", role: "compute" },
  { node: "gpu-compute", role: "compute", gpus: 1 },
];

const HEAVY = new Set<Change["kind"]>(["package", "packages", "download", "archive", "command"]);

/**
 * The AMI lifecycle under `base`: a loopback mirror of fixture artifacts, a bake of `base/image` (an
 * Ubuntu 22.04 root that, like a ParallelCluster AMI, ships Slurm's headers under /opt/slurm), then a
 * head, a login, a CPU and a GPU compute node booted from copies of it, each planned and applied once.
 */
export async function runLifecycle(base: string, log: Logger, o: LifecycleOptions = {}): Promise<Lifecycle> {
  const onStep = o.onStep ?? (() => undefined);
  const mirror = o.mirror ?? (await startFixtureMirror(base));
  try {
    const siteYaml = lifecycleSite(mirror);
    const image = path.join(base, "image");
    await writeSimulatedNode(image, { role: "compute", os: "ubuntu2204", factFiles: "none" });
    await fs.mkdir(path.join(image, "opt/slurm/include/slurm"), { recursive: true });
    await fs.writeFile(path.join(image, "opt/slurm/include/slurm/slurm_version.h"), `#define SLURM_VERSION_NUMBER ${V.slurm}\n`);
    await fs.writeFile(path.join(base, "site.yaml"), siteYaml);

    const imageRoot = new Root(image);
    const imageFacts = await gatherFacts({ root: imageRoot, roleOverride: "compute", imds: { enabled: false }, log });
    const site = parseSiteText(siteYaml, path.join(base, "site.yaml"));
    const t0 = performance.now();
    const bake = await bakeNode(imageRoot, imageFacts, log, { site, dryRun: false, lockTimeoutMs: 5_000 });
    const bakeMs = Math.round(performance.now() - t0);
    onStep("bake", { bake, bakeMs });

    const shared = path.join(base, "shared");
    const boots: BootFigures[] = [];
    for (const n of NODES) {
      const dir = path.join(base, "nodes", n.node);
      await fs.cp(image, dir, { recursive: true, verbatimSymlinks: true });
      await writeSimulatedNode(dir, { role: n.role, os: "ubuntu2204", ...(n.gpus ? { gpus: n.gpus } : {}) });
      await joinCluster(dir, shared, siteYaml);
      if (n.role === "head") await writeDatabasePassword(dir);
      const root = new Root(dir);
      const facts = await gatherFacts({ root, imds: { enabled: false }, log });
      const nodeSite = await loadSite({ root, region: facts.cluster.region, log });
      const before = mirror.requests.length;
      const plan = await planNode(root, facts, log, { site: nodeSite });
      const report = await applyNode(root, facts, log, { lockTimeoutMs: 5_000, site: nodeSite });
      const figures = { node: n.node, role: n.role, plan, report, heavy: plan.filter((c) => HEAVY.has(c.kind)).length, mirrorRequests: mirror.requests.length - before };
      boots.push(figures);
      onStep("boot", figures);
    }
    return { image, site: path.join(base, "site.yaml"), bake, bakeMs, boots };
  } finally {
    if (!o.mirror) await mirror.close();
  }
}

/** A loopback mirror of the fixture artifacts, built under `base/fixtures`. */
export async function startFixtureMirror(base: string): Promise<LoopbackMirror> {
  return startLoopbackMirror(await fixtureMirrorFiles(path.join(base, "fixtures")));
}
