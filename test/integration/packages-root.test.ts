import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { localAptSources } from "../../agent/engine/resources/packages-root.js";
import { Root } from "../../agent/nodefs/root.js";
import { SpawnRunner } from "../../agent/engine/runner.js";
import type { PackagesResource } from "../../agent/engine/types.js";
import { buildAptRepository, buildDeb, buildRpm, sha256 } from "../../agent/simulation/fixture-packages.js";
import { startLoopbackMirror } from "../../agent/simulation/mirror.js";
import { context, converge, tempDir } from "../helpers/engine.js";

/*
 * The packages resource against real package managers on simulated roots: rpm --root / dpkg --root install
 * verified files, and every query reads the root's own database (never this machine's, never a database
 * the query itself would create).
 */
describe.each([
  { family: "rhel" as const, build: buildRpm, db: "var/lib/rpm", file: "pwb-fixture-tool-2.0-1.x86_64.rpm", version: "2.0-1", old: "1.0-1" },
  { family: "debian" as const, build: buildDeb, db: "var/lib/dpkg/status", file: "pwb-fixture-tool_2.0_amd64.deb", version: "2.0", old: "1.0" },
])("packages resource on a simulated $family root", ({ family, build, db, file, version, old }) => {
  it("plans from the root's own database, installs the verified file, upgrades, and never touches this machine's database", async () => {
    const work = await tempDir("pwb-pkg-work-");
    const root = await tempDir("pwb-pkg-root-");
    const body = await build(work, { name: "pwb-fixture-tool", version, files: { "usr/bin/pwb-fixture-tool": `#!/bin/sh\necho ${version}\n` } });
    const mirror = await startLoopbackMirror(new Map([[`/${file}`, body]]));
    try {
      const resource: PackagesResource = {
        kind: "packages", label: "fixture",
        items: [{ name: "pwb-fixture-tool", version, fetch: { label: "fixture tool", url: `${mirror.url}/${file}`, sha256: sha256(body), path: `/var/cache/pwb-agent/packages/${file}` } }],
      };
      // Plan on a root without a package database: "install", and the query made no database.
      const first = await plan([resource], context(root, family));
      expect(first.map((c) => [c.id, c.summary])).toEqual([["packages:fixture", [`pwb-fixture-tool ${version} (from ${mirror.url}/${file})`]]]);
      await expect(fs.access(path.join(root, db))).rejects.toThrow();

      const { report } = await converge(root, [resource], family);
      expect(report).toMatchObject({ changes: 1, packagesInstalled: 1, downloads: 1 });
      expect(await fs.readFile(path.join(root, "usr/bin/pwb-fixture-tool"), "utf8")).toContain(version);
      // Installed in the root's database only.
      const host = family === "rhel" ? spawnSync("rpm", ["-q", "pwb-fixture-tool"]) : spawnSync("dpkg-query", ["-W", "pwb-fixture-tool"]);
      expect(host.status).not.toBe(0);
      expect(await plan([resource], context(root, family))).toEqual([]);

      // Another version wanted: planned as an upgrade from what the root has.
      const older = { ...resource, items: [{ name: "pwb-fixture-tool", version: old }] };
      expect((await plan([older], context(root, family)))[0]?.summary).toEqual([`pwb-fixture-tool ${version} → ${old}`]);
      expect(mirror.requests).toEqual([`/${file}`]);
    } finally {
      await mirror.close();
    }
  });
});

describe("the rpm database of a simulated root appears whole or not at all", () => {
  it("a run killed right after rpm --initdb leaves no database (queries see nothing installed); the next run makes it and installs", async () => {
    const work = await tempDir("pwb-rpmdb-work-");
    const root = await tempDir("pwb-rpmdb-root-");
    const body = await buildRpm(work, { name: "pwb-fixture-tool", version: "2.0", files: { "usr/bin/pwb-fixture-tool": "#!/bin/sh\necho 2.0\n" } });
    const file = "pwb-fixture-tool-2.0-1.x86_64.rpm";
    const mirror = await startLoopbackMirror(new Map([[`/${file}`, body]]));
    try {
      const resource: PackagesResource = {
        kind: "packages", label: "fixture",
        items: [{ name: "pwb-fixture-tool", version: "2.0-1", fetch: { label: "fixture tool", url: `${mirror.url}/${file}`, sha256: sha256(body), path: `/var/cache/pwb-agent/packages/${file}` } }],
      };
      // The kill: rpm has written its tables in the staging directory, the rename has not happened.
      const killed = context(root, "rhel");
      const real = killed.runner;
      killed.runner = {
        deferred: real.deferred,
        async run(argv, opts) {
          const r = await real.run(argv, opts);
          if (argv.includes("--initdb")) throw new Error("killed");
          return r;
        },
      };
      await expect(apply(await plan([resource], killed), [resource], killed)).rejects.toThrow("killed");
      await expect(fs.access(path.join(root, "var/lib/rpm"))).rejects.toThrow();
      expect((await fs.readdir(path.join(root, "var/lib"))).some((f) => f.startsWith(".pwb-tmp-"))).toBe(true);
      expect(await plan([resource], context(root, "rhel"))).toHaveLength(1);

      const { report } = await converge(root, [resource], "rhel");
      expect(report.packagesInstalled).toBe(1);
      const q = spawnSync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NAME}\\n"], { encoding: "utf8" });
      expect([q.status, q.stdout.trim()]).toEqual([0, "pwb-fixture-tool"]);
      expect((await fs.readdir(path.join(root, "var/lib"))).filter((f) => f.startsWith(".pwb-tmp-"))).toEqual([]);
    } finally {
      await mirror.close();
    }
  });
});

/*
 * Repository packages (no file of ours): a simulated root whose own package sources are all on this
 * machine gets them installed for real by its package manager, dependencies resolved from that repository:
 * dnf --installroot from a createrepo_c repository (Rocky), apt-get pointed at the root from a flat
 * apt repository (Packages index from the debs' control fields) (Ubuntu), both served by the loopback mirror.
 */
describe("repository packages into a simulated debian root with local apt sources", () => {
  async function aptRepoMirror(work: string) {
    const repo = path.join(work, "repo");
    await fs.mkdir(repo, { recursive: true });
    await fs.writeFile(path.join(repo, "pwb-fixture-lib_9_amd64.deb"), await buildDeb(work, { name: "pwb-fixture-lib", version: "9", files: { "usr/lib/pwb-fixture/lib": "lib 9\n" } }));
    // The tool depends on the library: apt, not the agent, must pull it in.
    const tool = await buildDeb(work, { name: "pwb-fixture-tool", version: "2.0", depends: "pwb-fixture-lib (>= 9)", files: { "usr/bin/pwb-fixture-tool": "#!/bin/sh\necho 2.0\n" } });
    await fs.writeFile(path.join(repo, "pwb-fixture-tool_2.0_amd64.deb"), tool);
    return startLoopbackMirror(new Map((await buildAptRepository(repo)).map(([rel, body]) => [`/debs/${rel}`, body])));
  }

  it("apt-get installs into the root's own dpkg database with dependencies; this machine's is untouched; plan is then empty", async () => {
    const work = await tempDir("pwb-apt-work-");
    const root = await tempDir("pwb-apt-root-");
    const mirror = await aptRepoMirror(work);
    try {
      await fs.mkdir(path.join(root, "etc/apt"), { recursive: true });
      await fs.writeFile(path.join(root, "etc/apt/sources.list"), `# the parent image's repository\ndeb [trusted=yes] ${mirror.url}/debs/ ./\n`);
      const resource: PackagesResource = { kind: "packages", label: "tools", items: [{ name: "pwb-fixture-tool", version: "2.0" }] };
      const first = await plan([resource], context(root, "debian"));
      expect(first.map((c) => c.summary)).toEqual([["pwb-fixture-tool 2.0"]]);

      const { report } = await converge(root, [resource], "debian");
      expect(report).toMatchObject({ changes: 1, packagesInstalled: 1, commandsRun: 2 });
      const q = spawnSync("dpkg-query", [`--admindir=${root}/var/lib/dpkg`, "-W", "-f=${Package} ${Version} ${Status}\\n"], { encoding: "utf8" });
      expect(q.stdout.trim().split("\n").sort()).toEqual(["pwb-fixture-lib 9 install ok installed", "pwb-fixture-tool 2.0 install ok installed"]);
      expect(await fs.readFile(path.join(root, "usr/lib/pwb-fixture/lib"), "utf8")).toBe("lib 9\n");
      expect(await fs.readFile(path.join(root, "var/log/dpkg.log"), "utf8")).toContain("status installed pwb-fixture-tool:amd64 2.0");
      expect(spawnSync("dpkg-query", ["-W", "pwb-fixture-tool"]).status).not.toBe(0);
      expect(mirror.requests).toEqual(expect.arrayContaining(["/debs/pwb-fixture-tool_2.0_amd64.deb", "/debs/pwb-fixture-lib_9_amd64.deb"]));
      expect(await plan([resource], context(root, "debian"))).toEqual([]);
    } finally {
      await mirror.close();
    }
  });

  it("a dpkg transaction a kill interrupted is finished (dpkg --configure -a) before apt installs, as apt would refuse otherwise", async () => {
    const work = await tempDir("pwb-apt-work-");
    const root = await tempDir("pwb-apt-root-");
    const mirror = await aptRepoMirror(work);
    try {
      await fs.mkdir(path.join(root, "etc/apt"), { recursive: true });
      await fs.writeFile(path.join(root, "etc/apt/sources.list"), `deb [trusted=yes] ${mirror.url}/debs/ ./\n`);
      // What a SIGKILLed dpkg leaves: its journal, here a package it had not finished configuring.
      await fs.mkdir(path.join(root, "var/lib/dpkg/updates"), { recursive: true });
      await fs.writeFile(path.join(root, "var/lib/dpkg/updates/0001"), "Package: pwb-half\nStatus: install ok half-configured\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.com>\nDescription: x\n");
      const resource: PackagesResource = { kind: "packages", label: "tools", items: [{ name: "pwb-fixture-tool", version: "2.0" }] };
      const { report } = await converge(root, [resource], "debian");
      expect(report).toMatchObject({ changes: 1, packagesInstalled: 1, commandsRun: 3 });
      expect(await fs.readdir(path.join(root, "var/lib/dpkg/updates"))).toEqual([]);
      const q = spawnSync("dpkg-query", [`--admindir=${root}/var/lib/dpkg`, "-W", "-f=${Package} ${Status}\\n"], { encoding: "utf8" });
      expect(q.stdout.trim().split("\n").sort()).toEqual(["pwb-fixture-lib install ok installed", "pwb-fixture-tool install ok installed", "pwb-half install ok installed"]);
    } finally {
      await mirror.close();
    }
  });

  it("a root with any non-local apt source is not installed into (that would reach the internet): the command is recorded", async () => {
    const root = await tempDir("pwb-apt-root-");
    await fs.mkdir(path.join(root, "etc/apt/sources.list.d"), { recursive: true });
    await fs.writeFile(path.join(root, "etc/apt/sources.list"), "deb [trusted=yes] file:/srv/repo ./\n");
    await fs.writeFile(path.join(root, "etc/apt/sources.list.d/ubuntu.sources"), "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: jammy\nComponents: main\n");
    expect(await localAptSources(new Root(root))).toBe(false);
    const ctx = context(root, "debian");
    const changes = await plan([{ kind: "packages", label: "tools", items: [{ name: "pwb-fixture-tool" }] }], ctx);
    await apply(changes, [{ kind: "packages", label: "tools", items: [{ name: "pwb-fixture-tool" }] }], ctx);
    expect((ctx.runner as SpawnRunner).deferred).toEqual([["apt-get", "install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", "pwb-fixture-tool"]]);
    expect(await fs.access(path.join(root, "var/lib/dpkg/status")).then(() => true, () => false)).toBe(false);
    await fs.rm(path.join(root, "etc/apt/sources.list.d/ubuntu.sources"));
    expect(await localAptSources(new Root(root))).toBe(true);
  });
});
