import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs, realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../agent/program.js";
import { buildTarball } from "../../agent/simulation/fixture-packages.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { startArtifactServer, type ArtifactServer } from "../helpers/artifact-server.js";
import { snapshot, tempDir } from "../helpers/engine.js";
import { MINIMAL } from "../helpers/workbench.js";
import { awsEnv } from "../aws-endpoint/harness.js";
import { startAwsEndpoint } from "../aws-endpoint/index.js";

/*
 * `pwb-agent bake` end to end, in process, against a loopback mirror. The packages are SMALL
 * STAND-INS built here with dpkg-deb, not Posit's builds: they only lay files where the real
 * r-builds / python-builds / Workbench packages do (/opt/R/<v>, /opt/python/<v>, the Workbench unit,
 * and a postinst that enables it as the real one does). dpkg really installs them into a throwaway
 * Ubuntu 22.04 root (dpkg --root), so "installed" means the package database says so.
 */

const R = "4.4.1";
const PY = "3.12.4";
const QUARTO = "1.5.57";
const WB = "2024.12.1+563.pro5";
const PATHS = {
  r: `/r/ubuntu-2204/r-${R}_1_amd64.deb`,
  python: `/python/ubuntu-2204/python-${PY}_1_amd64.deb`,
  quarto: `/quarto/quarto-${QUARTO}-linux-amd64.tar.gz`,
  workbench: `/workbench/jammy/rstudio-workbench-2024.12.1-563.pro5-amd64.deb`,
  wheelhouse: `/jupyter/wheelhouse-python-${PY}.tar.gz`,
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Copies host executables and the shared libraries they load into `root`, at the same paths. */
async function copyCommands(root: string, commands: string[]): Promise<void> {
  const files = new Set<string>();
  for (const cmd of commands) {
    const real = realpathSync(cmd);
    files.add(real);
    if (real !== cmd) files.add(cmd);
    for (const m of execFileSync("ldd", [real], { encoding: "utf8" }).matchAll(/(\/\S+\.so[.\d]*)/g)) files.add(m[1]!);
  }
  for (const f of files) {
    await fs.mkdir(path.join(root, path.dirname(f)), { recursive: true });
    await fs.copyFile(realpathSync(f), path.join(root, f));
    await fs.chmod(path.join(root, f), 0o755);
  }
}

/** A stand-in .deb: `files` (node path → content, all executable) and an optional postinst. */
async function buildDeb(work: string, pkg: string, version: string, files: Record<string, string>, postinst?: string): Promise<Buffer> {
  const dir = path.join(work, `${pkg}-tree`);
  await fs.mkdir(path.join(dir, "DEBIAN"), { recursive: true });
  await fs.writeFile(path.join(dir, "DEBIAN/control"), `Package: ${pkg}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: pwb-agent tests <tests@example.com>\nDescription: test stand-in for ${pkg}\n`);
  if (postinst) await fs.writeFile(path.join(dir, "DEBIAN/postinst"), postinst, { mode: 0o755 });
  for (const [p, text] of Object.entries(files)) {
    await fs.mkdir(path.join(dir, path.dirname(p)), { recursive: true });
    await fs.writeFile(path.join(dir, p), text, { mode: 0o755 });
  }
  const out = path.join(work, `${pkg}.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "-b", dir, out], { stdio: "ignore" });
  return fs.readFile(out);
}

async function buildQuartoTarball(work: string): Promise<Buffer> {
  const top = path.join(work, "qt", `quarto-${QUARTO}`);
  await fs.mkdir(path.join(top, "bin"), { recursive: true });
  await fs.writeFile(path.join(top, "bin/quarto"), `#!/bin/sh\necho ${QUARTO}\n`, { mode: 0o755 });
  const out = path.join(work, "quarto.tar.gz");
  execFileSync("tar", ["-czf", out, "-C", path.join(work, "qt"), `quarto-${QUARTO}`]);
  return fs.readFile(out);
}

describe("pwb-agent bake", () => {
  let srv: ArtifactServer;
  let work: string;
  const bodies = new Map<string, Buffer>();
  const stdout: string[] = [];
  const stderr: string[] = [];

  beforeAll(async () => {
    work = await tempDir("pwb-bake-");
    bodies.set(PATHS.r, await buildDeb(work, `r-${R}`, "1", { [`opt/R/${R}/bin/R`]: "#!/bin/sh\necho R\n", [`opt/R/${R}/bin/Rscript`]: "#!/bin/sh\n",
      // Incompressible bulk, so a reset mid-file leaves a real partial download to resume.
      [`opt/R/${R}/lib/R/lib/libR.so`]: randomBytes(1024 * 1024).toString("base64") }));
    bodies.set(PATHS.python, await buildDeb(work, `python-${PY}`, "1", { [`opt/python/${PY}/bin/python3`]: "#!/bin/sh\n", [`opt/python/${PY}/bin/pip3`]: "#!/bin/sh\n" }));
    bodies.set(PATHS.workbench, await buildDeb(
      work, "rstudio-workbench", WB,
      {
        "usr/lib/rstudio-server/bin/rserver": "#!/bin/sh\n",
        "lib/systemd/system/rstudio-server.service": "[Unit]\nDescription=stand-in\n[Service]\nExecStart=/usr/lib/rstudio-server/bin/rserver\n[Install]\nWantedBy=multi-user.target\n",
      },
      // As Workbench's own postinst does: enable the service. dpkg runs it chrooted into the root.
      '#!/bin/sh\nset -e\nmkdir -p /etc/systemd/system/multi-user.target.wants\nln -sf /lib/systemd/system/rstudio-server.service /etc/systemd/system/multi-user.target.wants/rstudio-server.service\n',
    ));
    bodies.set(PATHS.quarto, await buildQuartoTarball(work));
    // Wheels for pip --no-index (names only: pip itself is recorded, not run, on a simulated root).
    bodies.set(PATHS.wheelhouse, await buildTarball(work, "wheelhouse", { "ipykernel-6.29.5-py3-none-any.whl": "not a real wheel\n" }));
    srv = await startArtifactServer();
    resetMirror();
  });
  afterAll(() => srv.close());
  afterEach(() => {
    vi.restoreAllMocks();
    stdout.length = 0;
    stderr.length = 0;
    resetMirror();
  });

  function resetMirror() {
    srv.files.clear();
    for (const [p, b] of bodies) srv.files.set(p, b);
    srv.files.set("/SHA256SUMS", Buffer.from([...bodies].map(([p, b]) => `${sha(b)}  ${p.slice(1)}\n`).join("")));
    srv.faults.clear();
    srv.requests.length = 0;
  }

  async function node(extraSite = "", runtimes = `runtimes:\n  r: { versions: [${R}] }\n  python: { versions: [${PY}] }\n  quarto: { versions: [${QUARTO}] }\n`) {
    const root = await tempDir("pwb-bake-root-");
    await writeSimulatedNode(root, { role: "compute", os: "ubuntu2204" });
    // dpkg runs maintainer scripts chrooted into the root: give it the shell and tools they use.
    await copyCommands(root, ["/bin/sh", "/bin/mkdir", "/bin/ln"]);
    const site = path.join(root, "site.yaml");
    await fs.writeFile(site, `${MINIMAL}mirror:\n  url: ${srv.url}/\n${runtimes}${extraSite}`);
    return { root, site };
  }

  async function bake(root: string, site: string, json = true, extra: string[] = []): Promise<number> {
    vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (stdout.push(String(c)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (stderr.push(String(c)), true));
    const code = await main(["node", "pwb-agent", "--root", root, "--no-imds", "--quiet", ...(json ? ["--json"] : []), "--site", site, "bake", ...extra]);
    vi.restoreAllMocks();
    return code;
  }

  const dpkgStatus = (root: string) => fs.readFile(path.join(root, "var/lib/dpkg/status"), "utf8").catch(() => "");
  const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

  const ids = (report: { plan: { changes: Array<{ id: string }> } }) => report.plan.changes.map((c) => c.id);

  it("bakes through the engine: R, Python and Workbench in dpkg transactions, Quarto unpacked, defaults linked, Workbench disabled; a second bake does nothing", async () => {
    const { root, site } = await node();
    expect(await bake(root, site), stderr.join("")).toBe(0);
    const report = JSON.parse(stdout.join(""));
    // One plan, as apply prints it; then a second pass for what the package scripts changed (Workbench's postinst).
    expect(ids(report)).toEqual([
      "packages:runtimes", `archive:/opt/quarto/${QUARTO}`,
      "symlink:/usr/local/bin/R", "symlink:/usr/local/bin/Rscript", "symlink:/usr/local/bin/python3", "symlink:/usr/local/bin/pip3", "symlink:/usr/local/bin/quarto",
      // ipykernel in every Python, from the mirror's wheelhouse (pip is recorded, not run, on a simulated root).
      `archive:/var/cache/pwb-agent/artifacts/jupyter/python-${PY}`, `command:jupyter: python ${PY}: pip install ipykernel`, expect.stringMatching(new RegExp(`^file:/var/lib/pwb-agent/jupyter/${PY}-[0-9a-f]{12}\\.json$`)),
      "packages:workbench", "file:/var/lib/pwb-agent/image.json",
      "service:rstudio-server.service",
    ]);
    expect(report.report).toMatchObject({ packagesInstalled: 3, downloads: 5 });
    expect(report.report.deferred).toContainEqual([`/opt/python/${PY}/bin/python3`, "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location", "--no-index", "--find-links", `/var/cache/pwb-agent/artifacts/jupyter/python-${PY}`, "ipykernel"]);

    // Real installs: files on disk, and dpkg's database lists each package as installed.
    expect(await exists(path.join(root, `opt/R/${R}/bin/R`))).toBe(true);
    expect(await exists(path.join(root, `opt/python/${PY}/bin/python3`))).toBe(true);
    expect(await exists(path.join(root, "usr/lib/rstudio-server/bin/rserver"))).toBe(true);
    const status = await dpkgStatus(root);
    for (const pkg of [`r-${R}`, `python-${PY}`, "rstudio-workbench"]) expect(status).toMatch(new RegExp(`Package: ${pkg}\\nStatus: install ok installed`));
    expect(status).toContain(`Version: ${WB}`);
    // Quarto: top directory stripped, so the binary is at /opt/quarto/<v>/bin/quarto.
    expect(await exists(path.join(root, `opt/quarto/${QUARTO}/bin/quarto`))).toBe(true);
    // Defaults on PATH.
    const links = Object.fromEntries(await Promise.all(["R", "Rscript", "python3", "pip3", "quarto"].map(async (n) => [n, await fs.readlink(path.join(root, "usr/local/bin", n))])));
    expect(links).toEqual({
      R: `/opt/R/${R}/bin/R`, Rscript: `/opt/R/${R}/bin/Rscript`,
      python3: `/opt/python/${PY}/bin/python3`, pip3: `/opt/python/${PY}/bin/pip3`, quarto: `/opt/quarto/${QUARTO}/bin/quarto`,
    });
    // The package's postinst enabled rstudio-server; bake took that back.
    expect(await exists(path.join(root, "etc/systemd/system/multi-user.target.wants/rstudio-server.service"))).toBe(false);
    // Verified against the mirror's SHA256SUMS and kept in the cache.
    expect(await fs.readFile(path.join(root, "var/cache/pwb-agent/artifacts", PATHS.r.slice(1)))).toEqual(bodies.get(PATHS.r));
    // The record that makes this root a baked image.
    expect(JSON.parse(await fs.readFile(path.join(root, "var/lib/pwb-agent/image.json"), "utf8"))).toEqual({ sections: ["workbench", "runtimes"] });

    // Second bake: every version is installed, so no request at all and nothing changed.
    srv.requests.length = 0;
    const statusBefore = await dpkgStatus(root);
    stdout.length = 0;
    expect(await bake(root, site), stderr.join("")).toBe(0);
    const again = JSON.parse(stdout.join(""));
    expect(again.plan.count).toBe(0);
    expect(again.report).toMatchObject({ changes: 0, packagesInstalled: 0, downloads: 0, commandsRun: 0, filesWritten: 0 });
    expect(srv.requests).toEqual([]);
    expect(await dpkgStatus(root)).toBe(statusBefore);

    // The human report says the same; --dry-run on a baked image: nothing pending (exit 0).
    stdout.length = 0;
    expect(await bake(root, site, false)).toBe(0);
    expect(stdout.join("")).toMatch(/^bake: the image holds everything the site asks for\.$/m);
    expect(await bake(root, site, false, ["--dry-run"])).toBe(0);
  });

  it("bake --dry-run prints the plan (exit 10), fetches nothing and changes nothing", async () => {
    const { root, site } = await node();
    const before = await snapshot(root);
    expect(await bake(root, site, false, ["--dry-run"])).toBe(10);
    const out = stdout.join("");
    expect(out).toContain("+ packages runtimes  (install)");
    expect(out).toContain(`r-${R} any version (from ${srv.url}${PATHS.r})`);
    expect(out).toContain(`+ archive /opt/quarto/${QUARTO}  (create)`);
    expect(out).toContain("rstudio-workbench 2024.12.1+563.pro5");
    expect(srv.requests).toEqual([]);
    expect(await snapshot(root)).toEqual(before);
  });

  it("resumes a download the server reset mid-file (Range request) and installs the verified whole", async () => {
    const { root, site } = await node();
    srv.faults.set(PATHS.r, { resetAfterBytes: 256 * 1024, resets: 1 });
    expect(await bake(root, site), stderr.join("")).toBe(0);
    const report = JSON.parse(stdout.join(""));
    expect(report.report).toMatchObject({ packagesInstalled: 3, downloads: 5 });
    expect(srv.requests.filter((r) => r.path === PATHS.r).map((r) => [r.range, r.status])).toEqual([[null, 200], [expect.stringMatching(/^bytes=\d+-$/), 206]]);
    expect(await dpkgStatus(root)).toMatch(new RegExp(`Package: r-${R}\\nStatus: install ok installed`));
  });

  async function expectNothingInstalled(root: string) {
    expect(await dpkgStatus(root)).not.toContain("Package:");
    for (const p of ["opt/R", "opt/python", "opt/quarto", "usr/local/bin/R"]) expect(await exists(path.join(root, p)), p).toBe(false);
  }

  it("refuses a tampered artifact (bytes differ from SHA256SUMS) and installs nothing at all", async () => {
    const { root, site } = await node();
    const tampered = Buffer.from(bodies.get(PATHS.python)!);
    const last = tampered.length - 1;
    tampered[last] = tampered[last]! ^ 0xff;
    srv.files.set(PATHS.python, tampered);
    expect(await bake(root, site)).toBe(1);
    expect(stderr.join("")).toMatch(new RegExp(`sha256 mismatch for python-${PY}_1_amd64\\.deb.*nothing installed`));
    await expectNothingInstalled(root);
    // The bad file is not left in the cache to be trusted later.
    expect(await exists(path.join(root, "var/cache/pwb-agent/artifacts", PATHS.python.slice(1)))).toBe(false);
  });

  it("a pin in the site's checksums: wins over the mirror's manifest", async () => {
    const { root, site } = await node(`checksums:\n  ${PATHS.r.slice(1)}: "${"0".repeat(64)}"\n`);
    expect(await bake(root, site), stderr.join("")).toBe(1);
    expect(stderr.join("")).toMatch(/sha256 mismatch for r-4\.4\.1_1_amd64\.deb \(\S+\): expected 0{64}, got /);
    await expectNothingInstalled(root);
  });

  it("fails clearly on a 404, naming the URL, and installs nothing", async () => {
    const { root, site } = await node();
    srv.files.delete(PATHS.workbench);
    expect(await bake(root, site)).toBe(1);
    expect(stderr.join("")).toContain(`download of rstudio-workbench-2024.12.1-563.pro5-amd64.deb from ${srv.url}${PATHS.workbench} failed after 1 attempt(s): HTTP 404`);
    await expectNothingInstalled(root);
  });

  it("exits 2 naming the artifact when neither the site nor the mirror has its checksum, before downloading anything", async () => {
    const { root, site } = await node("", `runtimes:\n  r: { versions: [${R}] }\n  quarto: { versions: [1.6.40] }\n`);
    expect(await bake(root, site)).toBe(2);
    expect(stderr.join("")).toContain("no sha256 for quarto 1.6.40 (quarto/quarto-1.6.40-linux-amd64.tar.gz)");
    expect(srv.requests.map((r) => r.path)).toEqual(["/SHA256SUMS"]);
    await expectNothingInstalled(root);
  });

  it("bakes from an s3:// mirror with the real S3 client (loopback S3, path-style, Range on resume)", async () => {
    const ep = await startAwsEndpoint();
    const saved = { ...process.env };
    try {
      Object.assign(process.env, awsEnv(ep));
      for (const [p, b] of bodies) ep.model.s3.putObject("pwb-mirror", `artifacts${p}`, b);
      ep.model.s3.putObject("pwb-mirror", "artifacts/SHA256SUMS", [...bodies].map(([p, b]) => `${sha(b)}  ${p.slice(1)}\n`).join(""));
      const { root } = await node();
      const site = path.join(root, "site-s3.yaml");
      await fs.writeFile(site, `${MINIMAL}mirror:\n  url: s3://pwb-mirror/artifacts\nruntimes:\n  r: { versions: [${R}] }\n`);
      // An earlier, interrupted download left the first half: the fetch continues it with a Range GET.
      const part = path.join(root, "var/cache/pwb-agent/artifacts", `${PATHS.r.slice(1)}.part`);
      const rBody = bodies.get(PATHS.r)!;
      await fs.mkdir(path.dirname(part), { recursive: true });
      await fs.writeFile(part, rBody.subarray(0, Math.floor(rBody.length / 2)));
      expect(await bake(root, site), stderr.join("")).toBe(0);
      const report = JSON.parse(stdout.join(""));
      expect(report.report).toMatchObject({ packagesInstalled: 2, downloads: 2 });
      expect(await dpkgStatus(root)).toMatch(new RegExp(`Package: r-${R}\\nStatus: install ok installed`));
      const gets = ep.calls.filter((c) => c.service === "s3").map((c) => c.params.Key);
      expect(gets).toEqual(expect.arrayContaining(["pwb-mirror/artifacts/SHA256SUMS", `pwb-mirror/artifacts${PATHS.r}`, `pwb-mirror/artifacts${PATHS.workbench}`]));
      expect(ep.calls.find((c) => c.service === "s3" && c.params.Key === `pwb-mirror/artifacts${PATHS.r}`)?.params.Range).toBe(`bytes=${Math.floor(rBody.length / 2)}-`);
      expect(srv.requests).toEqual([]); // nothing went to the HTTP mirror
    } finally {
      process.env = saved;
      await ep.close();
    }
  });
});
