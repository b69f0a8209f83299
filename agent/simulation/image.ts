import { promises as fs } from "node:fs";
import path from "node:path";
import { bakeNode, planNode, applyNode } from "../node/converge.js";
import type { BakeResult } from "../bake/render.js";
import { LAUNCHER_UNIT, SERVER_UNIT } from "../components/workbench/paths.js";
import { Root } from "../nodefs/root.js";
import type { ApplyReport, Change } from "../engine/types.js";
import { gatherFacts } from "../facts/index.js";
import type { Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import { loadSite, parseSiteText } from "../site/load.js";
import { demoSite, joinCluster, writeDatabasePassword } from "./cluster.js";
import { buildAptRepository, buildDeb, buildFlatTarball, buildRepository, buildRpm, buildTarball, sha256, type FixturePackage } from "./fixture-packages.js";
import { buildWheel, JUPYTER_WHEELS, wheelFileName } from "./fixture-wheels.js";
import { startLoopbackMirror, type LoopbackMirror } from "./mirror.js";
import { createSigningKey, signedAptRelease, signRpms } from "./signed-repo.js";
import { writeSimulatedNode } from "./node.js";

/** The versions the lifecycle bakes: small stand-ins laid out where the real builds put their files. */
export const LIFECYCLE = { r: "4.4.1", python: "3.12.4", quarto: "1.5.57", workbench: "2024.12.1+563.pro5", apptainer: "1.4.5", slurm: "0x170b04", cuda: "12.4" } as const;

const V = LIFECYCLE;

/** The OS families the lifecycle bakes for: Ubuntu with dpkg, Rocky with rpm and dnf. */
export type LifecycleOs = "ubuntu2204" | "rocky9";

function mirrorPaths(os: LifecycleOs) {
  const deb = os === "ubuntu2204";
  return {
    r: deb ? `/r/ubuntu-2204/r-${V.r}_1_amd64.deb` : `/r/rhel-9/R-${V.r}-1-1.x86_64.rpm`,
    python: deb ? `/python/ubuntu-2204/python-${V.python}_1_amd64.deb` : `/python/rhel-9/python-${V.python}-1-1.x86_64.rpm`,
    quarto: `/quarto/quarto-${V.quarto}-linux-amd64.tar.gz`,
    workbench: deb ? `/workbench/jammy/rstudio-workbench-${V.workbench.replace("+", "-")}-amd64.deb` : `/workbench/rhel9/rstudio-workbench-rhel-${V.workbench.replace("+", "-")}-x86_64.rpm`,
    apptainer: deb ? `/apptainer/apptainer_${V.apptainer}_amd64.deb` : `/apptainer/apptainer-${V.apptainer}-1.x86_64.rpm`,
    spank: "/spank/slurm-singularity-exec-3.2.0.tar.gz",
    wheelhouse: `/jupyter/wheelhouse-python-${V.python}.tar.gz`,
    /** NVIDIA's repository layout under the mirror, and the name of its signing key there. */
    cudaRepo: deb ? "/cuda/ubuntu2204/x86_64/" : "/cuda/rhel9/x86_64/",
    cudaKey: deb ? "3bf863cc.pub" : "D42D0685.pub",
  };
}

const unit = (name: string, exec: string) => `[Unit]\nDescription=${name} (stand-in)\n[Service]\nExecStart=${exec}\n[Install]\nWantedBy=multi-user.target\n`;

/**
 * The mirror's files and its SHA256SUMS: .debs (dpkg-deb) for Ubuntu, .rpms (rpmbuild) for Rocky, plus
 * a repository with what the parent image's repositories would serve: for Rocky (createrepo_c) EPEL's
 * release package and the SPANK plugin's build tools, for Ubuntu (a flat apt repository) those tools.
 */
export async function fixtureMirrorFiles(work: string, os: LifecycleOs = "ubuntu2204", o: FixtureMirrorOptions = {}): Promise<Map<string, Buffer>> {
  const P = mirrorPaths(os);
  const pkg = (p: FixturePackage) => (os === "ubuntu2204" ? buildDeb(work, p) : buildRpm(work, p));
  const deb = os === "ubuntu2204";
  const files = new Map<string, Buffer>();
  files.set(P.r, await pkg({ name: deb ? `r-${V.r}` : `R-${V.r}`, version: deb ? "1" : "1-1", files: { [`opt/R/${V.r}/bin/R`]: `#!/bin/sh\necho "R version ${V.r}"\n`, [`opt/R/${V.r}/bin/Rscript`]: "#!/bin/sh\n" } }));
  files.set(P.python, await pkg({
    name: `python-${V.python}`, version: deb ? "1" : "1-1",
    files: { [`opt/python/${V.python}/bin/python3`]: `#!/bin/sh\necho "Python ${V.python}"\n`, [`opt/python/${V.python}/bin/pip3`]: "#!/bin/sh\n" },
  }));
  files.set(P.quarto, await buildTarball(work, `quarto-${V.quarto}`, { "bin/quarto": `#!/bin/sh\necho ${V.quarto}\n` }));
  files.set(P.workbench, await pkg({
    name: "rstudio-workbench", version: V.workbench,
    files: {
      "usr/lib/rstudio-server/bin/rserver": "#!/bin/sh\n",
      [`usr/lib/systemd/system/${SERVER_UNIT}`]: unit("rstudio-server", "/usr/lib/rstudio-server/bin/rserver"),
      [`usr/lib/systemd/system/${LAUNCHER_UNIT}`]: unit("rstudio-launcher", "/usr/lib/rstudio-server/bin/rstudio-launcher"),
    },
  }));
  files.set(P.apptainer, await pkg({ name: "apptainer", version: deb ? V.apptainer : `${V.apptainer}-1`, files: { "usr/bin/apptainer": `#!/bin/sh\necho "apptainer version ${V.apptainer}"\n` } }));
  files.set(P.spank, await buildTarball(work, "slurm-singularity-exec-3.2.0", { "CMakeLists.txt": "project(slurm-singularity-exec)\n" }));
  // Real (small) wheels, at the tarball's top level where pip --find-links looks: on a simulated root pip is
  // recorded, not run, but a test runs that recorded command with a real Python against them.
  files.set(P.wheelhouse, await buildFlatTarball(work, "wheelhouse", Object.fromEntries(JUPYTER_WHEELS.map((w) => [wheelFileName(w), buildWheel(w)]))));
  if (deb) {
    // The parent image's apt repository (flat): the SPANK plugin's build tools.
    const repo = path.join(work, "debs");
    await fs.mkdir(repo, { recursive: true });
    for (const name of ["cmake", "make", "g++"]) {
      await fs.writeFile(path.join(repo, `${name}_9_amd64.deb`), await buildDeb(work, { name, version: "9", files: { [`usr/share/doc/pwb-fixture/${name}`]: `${name}\n` } }));
    }
    for (const [rel, body] of await buildAptRepository(repo)) files.set(`/debs/${rel}`, body);
  } else {
    const repo = path.join(work, "repo");
    await fs.mkdir(repo, { recursive: true });
    for (const name of ["epel-release", "cmake", "make", "gcc-c++", "libstdc++-static"]) {
      await fs.writeFile(path.join(repo, `${name}.rpm`), await buildRpm(work, { name, version: "9-1", files: { [`usr/share/doc/pwb-fixture/${name}`]: `${name}\n` } }));
    }
    for (const [rel, body] of await buildRepository(repo)) files.set(`/repo/${rel}`, body);
  }
  if (o.cuda) for (const [rel, body] of await cudaRepository(path.join(work, "cuda"), os)) files.set(`${P.cudaRepo}${rel}`, body);
  files.set("/SHA256SUMS", Buffer.from([...files].filter(([p]) => !/^\/(repo|debs|cuda)\//.test(p)).map(([p, b]) => `${sha256(b)}  ${p.slice(1)}\n`).join("")));
  return files;
}

export interface FixtureMirrorOptions {
  /** Also a signed stand-in for NVIDIA's CUDA repository (driver and toolkit packages, signing key beside them). */
  cuda?: boolean;
}

/**
 * NVIDIA's CUDA repository for `os` as the mirror serves it, signed with a throwaway key: rpms signed
 * (rpmsign) in a createrepo_c repository for Rocky, a flat apt repository with a signed Release for Ubuntu.
 */
async function cudaRepository(dir: string, os: LifecycleOs): Promise<Array<[string, Buffer]>> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const key = await createSigningKey(path.join(dir, ".."));
  const deb = os === "ubuntu2204";
  const toolkit = `cuda-toolkit-${V.cuda.replace(".", "-")}`;
  const packages: FixturePackage[] = [
    { name: "cuda-drivers", version: "560.35.03-1", files: { "usr/bin/nvidia-smi": "#!/bin/sh\necho 'NVIDIA-SMI 560.35.03'\n" } },
    { name: toolkit, version: `${V.cuda}.1-1`, files: { [`usr/local/cuda-${V.cuda}/bin/nvcc`]: `#!/bin/sh\necho "release ${V.cuda}"\n` } },
  ];
  const work = path.join(dir, "..", "cuda-build");
  const out: Array<[string, Buffer]> = [];
  if (deb) {
    for (const p of packages) await fs.writeFile(path.join(dir, `${p.name}_${p.version}_amd64.deb`), await buildDeb(work, p));
    out.push(...(await buildAptRepository(dir)), ...(await signedAptRelease(key, dir)));
  } else {
    const rpms = [];
    for (const p of packages) {
      const file = path.join(dir, `${p.name}-${p.version}.x86_64.rpm`);
      await fs.writeFile(file, await buildRpm(work, p));
      rpms.push(file);
    }
    await signRpms(key, rpms);
    out.push(...(await buildRepository(dir)));
  }
  out.push([mirrorPaths(os).cudaKey, key.publicKey]);
  return out;
}

/** The demo's site with everything baked: runtimes, Workbench, and containers (Apptainer + the SPANK plugin). */
export function lifecycleSite(mirror: LoopbackMirror, os: LifecycleOs = "ubuntu2204", o: FixtureMirrorOptions = {}): string {
  const P = mirrorPaths(os);
  const sum = (p: string) => sha256(mirror.files.get(p)!);
  const releaseFile = os === "ubuntu2204" ? `apptainer_${V.apptainer}_amd64.deb` : `apptainer-${V.apptainer}-1.x86_64.rpm`;
  return `${demoSite(V.workbench)}mirror:
  url: ${mirror.url}/
runtimes:
  r: { versions: [${V.r}] }
  python: { versions: [${V.python}], default: ${V.python} }
  quarto: { versions: [${V.quarto}] }
containers:
  enabled: true
apptainer:
  version: ${V.apptainer}
  sha256:
    ${releaseFile}: ${sum(P.apptainer)}
spank:
  source:
    url: ${mirror.url}${P.spank}
    sha256: ${sum(P.spank)}
${o.cuda ? `cuda:\n  toolkit: "${V.cuda}"\n  repo:\n    keySha256: ${sum(`${P.cudaRepo}${P.cudaKey}`)}\n` : ""}`;
}

export interface BootFigures {
  node: string;
  role: Role;
  /** The first-boot plan. */
  plan: Change[];
  report: ApplyReport;
  /** The whole first-boot apply as `pwb-agent apply` runs it: lock, gathers, plan, apply. */
  applyWallMs: number;
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

export interface LifecycleOptions extends FixtureMirrorOptions {
  os?: LifecycleOs;
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
 * Ubuntu 22.04 or Rocky 9 root that, like a ParallelCluster AMI, ships Slurm's headers under /opt/slurm), then a
 * head, a login, a CPU and a GPU compute node booted from copies of it, each planned and applied once.
 */
export async function runLifecycle(base: string, log: Logger, o: LifecycleOptions = {}): Promise<Lifecycle> {
  const onStep = o.onStep ?? (() => undefined);
  const os = o.os ?? "ubuntu2204";
  const mirror = o.mirror ?? (await startFixtureMirror(base, os, { cuda: o.cuda }));
  try {
    const siteYaml = lifecycleSite(mirror, os, { cuda: o.cuda });
    const image = path.join(base, "image");
    await writeParentImage(image, os, mirror);
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
      await writeSimulatedNode(dir, { role: n.role, os, ...(n.gpus ? { gpus: n.gpus } : {}) });
      await joinCluster(dir, shared, siteYaml);
      if (n.role === "head") await writeDatabasePassword(dir);
      const root = new Root(dir);
      const facts = await gatherFacts({ root, imds: { enabled: false }, log });
      const nodeSite = await loadSite({ root, region: facts.cluster.region, log });
      const before = mirror.requests.length;
      const plan = await planNode(root, facts, log, { site: nodeSite });
      const t1 = performance.now();
      const report = await applyNode(root, facts, log, { lockTimeoutMs: 5_000, site: nodeSite });
      const applyWallMs = Math.round(performance.now() - t1);
      const figures = { node: n.node, role: n.role, plan, report, applyWallMs, heavy: plan.filter((c) => HEAVY.has(c.kind)).length, mirrorRequests: mirror.requests.length - before };
      boots.push(figures);
      onStep("boot", figures);
    }
    return { image, site: path.join(base, "site.yaml"), bake, bakeMs, boots };
  } finally {
    if (!o.mirror) await mirror.close();
  }
}

/**
 * The parent image a bake starts from: a bare compute root of `os` with Slurm's headers under /opt/slurm,
 * as a ParallelCluster AMI ships them, and for Rocky the parent's repositories (the mirror's fixture one).
 */
export async function writeParentImage(image: string, os: LifecycleOs, mirror: LoopbackMirror): Promise<void> {
  await writeSimulatedNode(image, { role: "compute", os, factFiles: "none" });
  if (os === "rocky9") {
    await fs.mkdir(path.join(image, "etc/yum.repos.d"), { recursive: true });
    await fs.writeFile(path.join(image, "etc/yum.repos.d/fixture.repo"), `[fixture]\nname=pwb-agent fixtures\nbaseurl=${mirror.url}/repo/\ngpgcheck=0\nenabled=1\n`);
  } else {
    // The parent image's apt sources, as apt-get reads them.
    await fs.mkdir(path.join(image, "etc/apt"), { recursive: true });
    await fs.writeFile(path.join(image, "etc/apt/sources.list"), `deb [trusted=yes] ${mirror.url}/debs/ ./\n`);
  }
  await fs.mkdir(path.join(image, "opt/slurm/include/slurm"), { recursive: true });
  await fs.writeFile(path.join(image, "opt/slurm/include/slurm/slurm_version.h"), `#define SLURM_VERSION_NUMBER ${V.slurm}\n`);
}

/** A loopback mirror of the fixture artifacts, built under `base/fixtures`. */
export async function startFixtureMirror(base: string, os: LifecycleOs = "ubuntu2204", o: FixtureMirrorOptions = {}): Promise<LoopbackMirror> {
  return startLoopbackMirror(await fixtureMirrorFiles(path.join(base, `fixtures-${os}`), os, o));
}
