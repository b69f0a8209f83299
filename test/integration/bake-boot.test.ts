import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyNode, bakeNode, planNode } from "../../agent/node/converge.js";
import { Root } from "../../agent/nodefs/root.js";
import { gatherFacts } from "../../agent/facts/index.js";
import { createLogger, silentLogger } from "../../agent/log.js";
import { LIFECYCLE, runLifecycle, startFixtureMirror, type Lifecycle, type LifecycleOs } from "../../agent/simulation/image.js";
import type { LoopbackMirror } from "../../agent/simulation/mirror.js";
import { joinCluster } from "../../agent/simulation/cluster.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { parseSiteText } from "../../agent/site/load.js";
import { tempDir } from "../helpers/engine.js";

/*
 * The AMI lifecycle for real, on Ubuntu 22.04 (fixture .debs with dpkg --root, and apt-get pointed at the root
 * from a flat apt repository for what the parent image's repositories serve) and Rocky 9 (fixture .rpms with
 * rpm --root, and dnf --installroot from a createrepo_c repository for what the parent image's repositories
 * serve), from a loopback mirror into the image root's own package database; then four nodes booted from
 * copies of that image. The
 * first-boot plan of each must hold no package, download, archive or command resource.
 */
/** What the root's own package database says is installed: name → version. */
function installed(root: string, os: LifecycleOs): Map<string, string> {
  const r =
    os === "rocky9"
      ? spawnSync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"], { encoding: "utf8" })
      : spawnSync("dpkg-query", [`--admindir=${root}/var/lib/dpkg`, "-W", "-f=${Package}\\t${Version}\\n"], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return new Map(r.stdout.trim().split("\n").map((l) => l.split("\t") as [string, string]));
}

describe.each(["ubuntu2204", "rocky9"] as const)("bake once, boot every role from the image (%s)", (os) => {
  let base: string;
  let lc: Lifecycle;
  let mirror: LoopbackMirror;
  beforeAll(async () => {
    base = await tempDir("pwb-lifecycle-");
    // cuda: on, so the GPU node's first boot is held to the same rule as the others.
    mirror = await startFixtureMirror(base, os, { cuda: true });
    lc = await runLifecycle(base, silentLogger(), { mirror, os, cuda: true });
  }, 120_000);
  afterAll(() => mirror.close());

  it("bake installs every package into the image's own package database and leaves Workbench off", async () => {
    const have = installed(lc.image, os);
    const r = os === "rocky9" ? `R-${LIFECYCLE.r}` : `r-${LIFECYCLE.r}`;
    for (const pkg of [r, `python-${LIFECYCLE.python}`, "rstudio-workbench", "apptainer"]) expect(have.has(pkg), pkg).toBe(true);
    // Rocky: EPEL and the SPANK plugin's build tools come from the parent image's repository, through dnf --installroot.
    if (os === "rocky9") for (const pkg of ["epel-release", "cmake", "make", "gcc-c++", "libstdc++-static"]) expect(have.has(pkg), pkg).toBe(true);
    // Ubuntu: the same tools from the parent image's flat apt repository, through apt-get pointed at the root.
    if (os === "ubuntu2204") for (const pkg of ["cmake", "make", "g++"]) expect(have.get(pkg), pkg).toBe("9");
    // The one package-manager command left for the real node: apt's list refresh after the CUDA repository is added
    // (on a simulated root it would refresh the host's lists); every install went into the root itself.
    expect(lc.bake.report!.deferred.filter((argv) => (argv[0] === "dnf" || argv[0] === "apt-get") && argv.join(" ") !== "apt-get update")).toEqual([]);
    // Seven artifacts, and the CUDA repository's signing key.
    expect(lc.bake.report).toMatchObject({ downloads: 8 });
    expect(await fs.readlink(path.join(lc.image, "usr/local/bin/quarto"))).toBe(`/opt/quarto/${LIFECYCLE.quarto}/bin/quarto`);
    expect(await fs.readdir(path.join(lc.image, "etc/systemd/system")).catch(() => [])).not.toContain("multi-user.target.wants");
    const record = JSON.parse(await fs.readFile(path.join(lc.image, "var/lib/pwb-agent/image.json"), "utf8"));
    expect(record).toEqual({ sections: ["workbench", "runtimes", "apptainer", "spank", "cuda"] });
  });

  it("a second bake of the image fetches nothing and changes nothing", async () => {
    const before = mirror.requests.length;
    const root = new Root(lc.image);
    const log = silentLogger();
    const facts = await gatherFacts({ root, roleOverride: "compute", imds: { enabled: false }, log });
    const site = parseSiteText(await fs.readFile(lc.site, "utf8"), "site.yaml");
    const again = await bakeNode(root, facts, log, { site, dryRun: false, lockTimeoutMs: 5_000 });
    expect(again.changes.map((c) => c.id)).toEqual([]);
    expect(again.report).toMatchObject({ changes: 0, filesWritten: 0, packagesInstalled: 0, downloads: 0, commandsRun: 0 });
    expect(mirror.requests.length - before).toBe(0);
  });

  it("Jupyter: ipykernel, JupyterLab and pwb_jupyterlab go into the default Python at bake; jupyter.conf points at its jupyter", async () => {
    const pip = lc.bake.report!.deferred.find((argv) => argv.includes("pip"));
    expect(pip).toEqual([`/opt/python/${LIFECYCLE.python}/bin/python3`, "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location", "--no-index", "--find-links", `/var/cache/pwb-agent/artifacts/jupyter/python-${LIFECYCLE.python}`, "ipykernel", "jupyterlab", "pwb_jupyterlab"]);
    const conf = await fs.readFile(path.join(base, "shared/opt-rstudio/etc/rstudio/jupyter.conf"), "utf8");
    expect(conf).toContain(`jupyter-exe=/opt/python/${LIFECYCLE.python}/bin/jupyter\n`);
  });

  it("Jupyter: the pip command bake declared installs the mirror's wheelhouse into a real Python, and the rendered jupyter-exe runs --version", async () => {
    // A copy of the image whose /opt/python/<v> is a real Python (a venv of this machine's python3): the
    // image's own Python is a stand-in that cannot run here.
    const dir = path.join(base, "jupyter-image");
    await fs.cp(lc.image, dir, { recursive: true, verbatimSymlinks: true });
    const prefix = path.join(dir, "opt/python", LIFECYCLE.python);
    await fs.rm(prefix, { recursive: true });
    const venv = spawnSync("python3", ["-m", "venv", prefix], { encoding: "utf8" });
    expect(venv.status, venv.stderr).toBe(0);
    // The command exactly as the runtimes component declared it (bake recorded it), its absolute paths read
    // inside the image: its Python, and the wheelhouse bake fetched, verified and unpacked.
    const pip = lc.bake.report!.deferred.find((argv) => argv.includes("pip"))!;
    const inImage = (a: string) => (a.startsWith("/") ? path.join(dir, a) : a);
    const install = spawnSync(inImage(pip[0]!), pip.slice(1).map(inImage), { encoding: "utf8" });
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/Successfully installed .*jupyterlab-4\.3\.4/);
    // jupyter-exe as Workbench's jupyter.conf names it.
    const conf = await fs.readFile(path.join(base, "shared/opt-rstudio/etc/rstudio/jupyter.conf"), "utf8");
    const exe = conf.match(/^jupyter-exe=(.+)$/m)![1]!;
    const version = spawnSync(inImage(exe), ["--version"], { encoding: "utf8" });
    expect(version.status, version.stderr).toBe(0);
    for (const line of [/^ipykernel\s+: 6\.29\.5$/m, /^jupyterlab\s+: 4\.3\.4$/m, /^pwb_jupyterlab\s+: 1\.0\.16$/m]) expect(version.stdout).toMatch(line);
  }, 120_000);

  it("first boot on head, login, CPU and GPU compute: no package, download or command; the mirror is never asked", () => {
    expect(lc.boots.map((b) => b.node)).toEqual(["head", "login", "compute", "gpu-compute"]);
    for (const b of lc.boots) {
      expect(b.plan.filter((c) => ["package", "packages", "download", "archive", "command"].includes(c.kind)).map((c) => c.id), b.node).toEqual([]);
      expect(b.heavy, b.node).toBe(0);
      expect(b.mirrorRequests, b.node).toBe(0);
      expect(b.report, b.node).toMatchObject({ packagesInstalled: 0, downloads: 0, commandsRun: 0 });
      // Commands a simulated root records instead of running count too: at boot only systemd's own verbs.
      expect(b.report.deferred.filter((argv) => argv[0] !== "systemctl"), b.node).toEqual([]);
    }
    // The GPU node boots exactly as the CPU one: the CUDA section adds nothing to run.
    const [cpu, gpu] = [lc.boots.find((b) => b.node === "compute")!, lc.boots.find((b) => b.node === "gpu-compute")!];
    expect(gpu.report.deferred).toEqual(cpu.report.deferred);
    // What first boot does is configuration: the login node enables Workbench; the GPU node's wrapper adds --nv.
    const login = lc.boots.find((b) => b.node === "login")!;
    expect(login.plan.map((c) => c.id)).toEqual(expect.arrayContaining(["service:rstudio-server.service", "service:rstudio-launcher.service"]));
  });

  it("a node whose image lost something repairs it at apply, with a warning naming it and the repair's duration", async () => {
    const dir = path.join(base, "nodes", "compute");
    await fs.rm(path.join(dir, "opt/quarto", LIFECYCLE.quarto), { recursive: true });
    await fs.rm(path.join(dir, "var/cache/pwb-agent/artifacts"), { recursive: true });
    const root = new Root(dir);
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) });
    const facts = await gatherFacts({ root, imds: { enabled: false }, log });
    const site = parseSiteText(await fs.readFile(path.join(dir, "etc/pwb-agent/site.yaml"), "utf8"), "site.yaml");
    const plan = await planNode(root, facts, log, { site });
    expect(plan.map((c) => [c.id, c.summary.at(-1)])).toEqual([[`archive:/opt/quarto/${LIFECYCLE.quarto}`, "missing from the image: apply repairs it"]]);
    const before = mirror.requests.length;
    const report = await applyNode(root, facts, log, { site, lockTimeoutMs: 5_000 });
    expect(report).toMatchObject({ changes: 1, downloads: 1 });
    expect(mirror.requests.slice(before)).toEqual(["/SHA256SUMS", `/quarto/quarto-${LIFECYCLE.quarto}-linux-amd64.tar.gz`]);
    expect(await fs.readFile(path.join(dir, "opt/quarto", LIFECYCLE.quarto, "bin/quarto"), "utf8")).toContain(LIFECYCLE.quarto);
    const warning = lines.map((l) => JSON.parse(l)).find((r) => r.severity === "warn" && r.resource === `archive:/opt/quarto/${LIFECYCLE.quarto}`);
    expect(warning?.msg).toMatch(new RegExp(`^image resource archive:/opt/quarto/${LIFECYCLE.quarto.replace(/\./g, "\\.")} was missing: repaired in \\d+ ms$`));
    expect(warning?.durationMs).toEqual(expect.any(Number));
    // Repaired: the next plan is empty.
    expect(await planNode(root, facts, log, { site })).toEqual([]);
  });

  it("SPANK: baked once for the image's Slurm; a cluster on another release series rebuilds it at boot and says so", async () => {
    const dir = path.join(base, "nodes", "compute-slurm-24.11");
    await fs.cp(lc.image, dir, { recursive: true, verbatimSymlinks: true });
    await writeSimulatedNode(dir, { role: "compute", os });
    await joinCluster(dir, path.join(base, "shared"), await fs.readFile(lc.site, "utf8"));
    // The cluster's /opt/slurm (the head node's share) is Slurm 24.11, the image's was 23.11.
    await fs.writeFile(path.join(dir, "opt/slurm/include/slurm/slurm_version.h"), "#define SLURM_VERSION_NUMBER 0x180b02\n");
    const root = new Root(dir);
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l) });
    const facts = await gatherFacts({ root, imds: { enabled: false }, log });
    const site = parseSiteText(await fs.readFile(lc.site, "utf8"), "site.yaml");
    const ids = (await planNode(root, facts, log, { site })).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining([expect.stringMatching(/^command:spank slurm-24\.11-\S+: configure$/), expect.stringMatching(/^symlink:.*\/spank\/current$/)]));
    expect(ids.filter((id) => id.startsWith("command:spank slurm-23.11"))).toEqual([]);
    const warn = lines.map((l) => JSON.parse(l)).find((r) => r.severity === "warn" && /^spank: /.test(r.msg));
    expect(warn?.msg).toMatch(/^spank: the plugin in use \(slurm-23\.11-\S+\) was not built for this cluster's Slurm 24\.11\.2: building slurm-24\.11-/);
    // The same series as the image (every first boot above): nothing of the plugin is built.
    for (const b of lc.boots) expect(b.plan.filter((c) => c.id.includes("spank slurm-")).map((c) => c.id), b.node).toEqual([]);
  });
});
