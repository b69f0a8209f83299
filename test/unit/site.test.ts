import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Root } from "../../agent/nodefs/root.js";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { createLogger, silentLogger } from "../../agent/log.js";
import { instanceShape, schedulableMiB } from "../../agent/site/instance-types.js";
import { loadSite, parseSiteText } from "../../agent/site/load.js";
import { atLeast, parseWorkbenchVersion } from "../../agent/site/version.js";
import { tempDir } from "../helpers/engine.js";
import { exampleSite, MINIMAL } from "../helpers/workbench.js";


function problemsOf(text: string): string {
  try {
    parseSiteText(text, "site.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return (e as Error).message;
  }
  throw new Error("expected the site to be rejected");
}

describe("site config: defaults", () => {
  it("a 10-line site file is complete: every other field has a sensible default", () => {
    expect(MINIMAL.trim().split("\n")).toHaveLength(10);
    const s = parseSiteText(MINIMAL, "site.yaml");
    expect(s.workbench).toMatchObject({ port: 8787, launcherPort: 5559, sharedConfigWaitSeconds: 120, adminGroup: null, crashHandling: false });
    // Idle timeouts default to what Workbench ships in its config files (Posit admin guide, "Idle Timeouts by Session Type").
    expect(s.workbench.ides).toEqual({
      rstudio: { sessionTimeoutMinutes: 480 },
      jupyter: { enabled: true, labs: true, notebooks: false, cullMinutes: 360, shutdownMinutes: 120 },
      vscode: { enabled: true, timeoutKillHours: 8 },
      positron: { enabled: false, timeoutKillHours: 8 },
    });
    expect(s.storage).toEqual({
      workbench: "/opt/rstudio",
      home: "/home",
      sharedStoragePath: "/home/rstudio-shared-storage",
      configDir: "/opt/rstudio/etc/rstudio",
      dataDir: "/opt/rstudio/shared-data",
    });
    expect(s.database).toEqual({
      host: "pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com",
      port: 5432,
      name: "pwb",
      user: "pwb",
      password: { ssm: "/pwb/database/password" },
      sslMode: "require",
    });
    expect(s.slurm.partitions).toEqual([
      { name: "interactive", instanceType: "m6i.xlarge", cpus: 4, memoryMiB: 16384, gpus: null, sessions: true, jobs: true },
    ]);
    expect(s.slurm.clusters).toEqual([
      { name: "slurminteractive", use: "sessions", partitions: ["interactive"], defaultPartition: "interactive" },
      { name: "slurmbatch", use: "jobs", partitions: ["interactive"], defaultPartition: "interactive" },
    ]);
    expect(s.containers).toEqual({ enabled: false, imageDirectory: "/opt/rstudio/container", bind: ["/opt/slurm/etc", "/opt/slurm/libexec", "/var/spool/slurmd", "/var/run/munge"] });
    expect(s.profiles).toBeNull();
    expect(s.mirror).toBeNull();
  });

  it("the documented example parses, with its explicit clusters and GPU partition", () => {
    const s = exampleSite();
    expect(s.slurm.clusters.map((c) => [c.name, c.use, c.partitions.join(",")])).toEqual([
      ["slurminteractive", "sessions", "interactive,gpu"],
      ["slurmbatch", "jobs", "batch,gpu"],
    ]);
    expect(s.slurm.partitions.find((p) => p.name === "gpu")?.gpus).toEqual({ count: 1, type: null });
    expect(s.workbench.rserver).toEqual({ "auth-timeout-minutes": "120" });
    expect(s.runtimes.r).toEqual({ versions: ["4.4.2", "4.3.3"], default: "4.4.2" });
    // A container setup that works: containers on, with the runtime and the Slurm plugin they need.
    expect(s.containers.enabled).toBe(true);
    expect(s.apptainer).toMatchObject({ source: "epel", version: "1.4.5-1.el9" });
    expect(s.spank?.source).toEqual({ url: "s3://pwb-artifacts-example/mirror/spank/slurm-singularity-exec-3.2.0.tar.gz", sha256: "71dabadc3e87f71543b0abed1a0bdddb4dd30322b3c4e1ce4393ea423725b0fb" });
  });

  it("containers enabled without a runtime is bad input naming both fields (containers.enabled, apptainer:)", () => {
    const msg = problemsOf(`${MINIMAL}containers:\n  enabled: true\n`);
    expect(msg).toMatch(/site\.yaml:\d+:\d+: containers\.enabled: expected an apptainer: section when containers\.enabled is true/);
    expect(parseSiteText(`${MINIMAL}containers:\n  enabled: true\napptainer:\n  source: epel\n  version: 1.4.5-1.el9\n`, "site.yaml").containers.enabled).toBe(true);
  });

  it("a launcher cluster offers what its partitions offer: a use no partition serves, or a default outside them, is bad input", () => {
    const partitions = "  partitions:\n    - { name: interactive, instanceType: m6i.xlarge, jobs: false }\n    - { name: batch, instanceType: m6i.xlarge, sessions: false }\n";
    const site = (clusters: string) => MINIMAL.replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]\n", partitions + clusters);
    const ok = parseSiteText(site("  clusters:\n    - { name: s, use: sessions }\n    - { name: j, use: jobs }\n"), "site.yaml");
    expect(ok.slurm.clusters.map((c) => [c.name, c.partitions, c.defaultPartition])).toEqual([["s", ["interactive"], "interactive"], ["j", ["batch"], "batch"]]);
    expect(problemsOf(site("  clusters:\n    - { name: s, use: sessions, defaultPartition: batch }\n"))).toMatch(/slurm\.clusters\[0\]\.defaultPartition: expected one of this cluster's partitions \(interactive\)/);
    const noJobs = MINIMAL.replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]\n", "  partitions:\n    - { name: interactive, instanceType: m6i.xlarge, jobs: false }\n  clusters:\n    - { name: s, use: sessions }\n    - { name: j, use: jobs }\n");
    expect(problemsOf(noJobs)).toMatch(/slurm\.clusters\[1\]\.use: expected a use some partition offers: no partition has jobs: true/);
  });

  it("each launcher cluster defaults to a partition of its own: the batch cluster to the jobs-only partition, not an interactive one that also takes jobs", () => {
    const partitions = "  partitions:\n    - { name: interactive, instanceType: m6i.xlarge }\n    - { name: batch, instanceType: m6i.xlarge, sessions: false }\n    - { name: gpu, instanceType: g5.2xlarge }\n";
    const s = parseSiteText(MINIMAL.replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]\n", partitions), "site.yaml");
    expect(s.slurm.clusters.map((c) => [c.name, c.partitions, c.defaultPartition])).toEqual([
      ["slurminteractive", ["interactive", "gpu"], "interactive"],
      ["slurmbatch", ["interactive", "batch", "gpu"], "batch"],
    ]);
    // Where every partition serves both uses, the first is the default; a listed one wins.
    const both = parseSiteText(MINIMAL.replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]\n", "  partitions:\n    - { name: a, instanceType: m6i.xlarge }\n    - { name: b, instanceType: m6i.xlarge }\n  clusters:\n    - { name: s, use: sessions }\n    - { name: j, use: jobs, defaultPartition: b }\n"), "site.yaml");
    expect(both.slurm.clusters.map((c) => c.defaultPartition)).toEqual(["a", "b"]);
  });

  it("partitions of types it does not know are sized from cpus and memoryMiB", () => {
    const s = parseSiteText(MINIMAL.replace("{ name: interactive, instanceType: m6i.xlarge }", "{ name: big, instanceType: x2idn.16xlarge, cpus: 64, memoryMiB: 1048576 }"), "s");
    expect(s.slurm.partitions[0]).toMatchObject({ cpus: 64, memoryMiB: 1048576, gpus: null });
  });
});

describe("site config: locating problems", () => {
  it("names file:line:column, the field path and what was expected", () => {
    const msg = problemsOf(MINIMAL.replace("pwb-db.cluster", "pwb db.cluster"));
    expect(msg).toContain("site.yaml:5:9: database.host: expected a host name or IP address");
    expect(msg).toContain("nothing was changed");
  });

  it("suggests the key a typo meant", () => {
    expect(problemsOf(MINIMAL.replace("  url:", "  ulr:"))).toMatch(/site\.yaml:3:3: workbench\.ulr: unknown key: did you mean "url"\? expected one of version, url, port/);
  });

  it("points a missing required key at its parent", () => {
    expect(problemsOf(MINIMAL.replace("  password: { ssm: /pwb/database/password }\n", ""))).toContain("site.yaml:4:1: database.password: missing: expected { ssm:");
  });

  it("reports every shape problem at once, in file order (cross-field rules follow once the shape is right)", () => {
    const msg = problemsOf(MINIMAL.replace("8787", "x").replace("m6i.xlarge", "m6i.huge").replace("pwb-workbench", "-bad-"));
    const lines = msg.split("\n").slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("alb.name");
    expect(lines[1]).toContain("slurm.partitions[0].instanceType");
  });

  it("reports YAML syntax errors with their position", () => {
    expect(problemsOf("workbench:\n  version: [1, 2\n")).toMatch(/site\.yaml:\d+:\d+: \(yaml\): not valid YAML/);
  });

  it("never echoes a value: a malformed secret reference shows the field, not what was typed", () => {
    const msg = problemsOf(MINIMAL.replace("{ ssm: /pwb/database/password }", '"hunter2-plain-text"'));
    expect(msg).toContain("database.password: expected { ssm: <SSM parameter name> } or { file: <absolute path of a root-only file> }");
    expect(msg).not.toContain("hunter2");
  });
});

describe("site config: loading", () => {
  const log = silentLogger();

  it("no --site and no default file: null, with a warning that names the default path", async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    const site = await loadSite({ root: new Root(dir), log: createLogger({ sink: (l) => lines.push(l) }) });
    expect(site).toBeNull();
    expect(lines.join("")).toContain("no site config at /etc/pwb-agent/site.yaml");
  });

  it("the default file is read under --root", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc/pwb-agent"), { recursive: true });
    await fs.writeFile(path.join(dir, "etc/pwb-agent/site.yaml"), MINIMAL);
    expect((await loadSite({ root: new Root(dir), log }))?.source).toBe("/etc/pwb-agent/site.yaml");
  });

  it("an explicit --site that does not exist is bad input", async () => {
    await expect(loadSite({ site: "/nonexistent/site.yaml", root: new Root("/"), log })).rejects.toThrow(BadInputError);
    await expect(loadSite({ site: "/nonexistent/site.yaml", root: new Root("/"), log })).rejects.toThrow("--site /nonexistent/site.yaml: no such file");
  });

  it("reads s3:// URLs through the S3 reader, in the node's region", async () => {
    const seen: unknown[] = [];
    const site = await loadSite({
      site: "s3://pwb-config/clusters/a/site.yaml",
      root: new Root("/"),
      region: "eu-west-1",
      log,
      readS3: async (loc, region) => {
        seen.push({ ...loc, region });
        return MINIMAL;
      },
    });
    expect(seen).toEqual([{ bucket: "pwb-config", key: "clusters/a/site.yaml", region: "eu-west-1" }]);
    expect(site?.source).toBe("s3://pwb-config/clusters/a/site.yaml");
  });

  it("maps S3 errors: a missing object is bad input, access denied a runtime failure naming the permission", async () => {
    const failing = (name: string, status: number) => async () => {
      throw Object.assign(new Error("x"), { name, $metadata: { httpStatusCode: status } });
    };
    const base = { site: "s3://pwb-config/site.yaml", root: new Root("/"), region: "eu-west-1", log };
    await expect(loadSite({ ...base, readS3: failing("NoSuchKey", 404) })).rejects.toThrow(BadInputError);
    await expect(loadSite({ ...base, readS3: failing("AccessDenied", 403) })).rejects.toThrow(/s3:GetObject/);
    await expect(loadSite({ ...base, readS3: failing("AccessDenied", 403) })).rejects.toThrow(RuntimeFailure);
    await expect(loadSite({ ...base, site: "s3://Bad_Bucket" })).rejects.toThrow("expected s3://bucket/key");
  });
});

describe("versions and instance types", () => {
  it("compares Workbench versions by year.month.patch", () => {
    const v = parseWorkbenchVersion("2024.09.1+394.pro7")!;
    expect(v).toEqual({ year: 2024, month: 9, patch: 1 });
    expect(atLeast(v, "2024.09.0")).toBe(true);
    expect(atLeast(v, "2024.12.0")).toBe(false);
    expect(parseWorkbenchVersion("2025.12.0-daily-286.pro1")).toEqual({ year: 2025, month: 12, patch: 0 });
    expect(parseWorkbenchVersion("latest")).toBeNull();
  });

  it("knows common queue instance types and leaves headroom", () => {
    expect(instanceShape("m6i.xlarge")).toEqual({ cpus: 4, memoryMiB: 16384, gpus: 0, gpuModel: null });
    expect(instanceShape("c5.9xlarge")).toEqual({ cpus: 36, memoryMiB: 73728, gpus: 0, gpuModel: null });
    expect(instanceShape("g5.12xlarge")).toEqual({ cpus: 48, memoryMiB: 196608, gpus: 4, gpuModel: "A10G" });
    expect(instanceShape("m5.32xlarge")).toBeNull(); // no such size
    expect(schedulableMiB(16384)).toBe(14745);
    expect(schedulableMiB(4096)).toBe(3072);
    expect(schedulableMiB(1024)).toBe(512);
  });
});
