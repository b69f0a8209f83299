import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cmakeConfigureArgv } from "../../agent/components/spank/build.js";
import { gatherSpank } from "../../agent/components/spank/gather.js";
import { globMatches } from "../../agent/components/spank/glob.js";
import { spankLayout } from "../../agent/components/spank/layout.js";
import { nodeWrapperScript } from "../../agent/components/spank/node-wrapper.js";
import { spankResources } from "../../agent/components/spank/plan.js";
import { mergedPlugstack, registrationLine, registrationPaths } from "../../agent/components/spank/register.js";
import { parseSlurmVersionHeader, type SlurmHeaders } from "../../agent/components/spank/slurm-version.js";
import { Root } from "../../agent/nodefs/root.js";
import type { FileResource, Resource } from "../../agent/engine/types.js";
import { RuntimeFailure } from "../../agent/errors.js";
import { spankSection, type SpankSite } from "../../agent/site/sections/spank.js";
import { tempDir } from "../helpers/engine.js";
import { expectGolden, fakeSha256, simulatedApply } from "../helpers/golden-plan.js";
import { NVIDIA_A10G, nodeFacts, simOs } from "../helpers/node-facts.js";

const ARCHIVE = "v3.2.0.tar.gz";
const SLURM_23_11_4: SlurmHeaders = { version: "23.11.4", series: "23.11" };
const ENV = { slurmEtc: "/opt/slurm/etc", containersBind: ["/opt/slurm/etc", "/opt/slurm/libexec", "/var/spool/slurmd", "/var/run/munge"] };
const INPUTS = { slurm: SLURM_23_11_4, plugstack: null, built: false };

function site(extra: Record<string, unknown> = {}): SpankSite {
  return spankSection.parse({ source: { url: `https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/${ARCHIVE}`, sha256: fakeSha256(ARCHIVE) }, ...extra });
}

const paths = (rs: Resource[]) => rs.flatMap((r) => ("path" in r ? [`${r.kind} ${r.path}`] : [`${r.kind} ${r.kind === "command" ? r.label : r.kind === "package" ? r.name : ""}`]));

describe("spank component (pure)", () => {
  it("reads the Slurm version from slurm_version.h; builds are per release series", () => {
    expect(parseSlurmVersionHeader("#define SLURM_VERSION_NUMBER 0x170b04\n")).toEqual({ version: "23.11.4", series: "23.11" });
    expect(parseSlurmVersionHeader("# define SLURM_VERSION_NUMBER 0x190b06 /* 25.11.6 */")).toEqual({ version: "25.11.6", series: "25.11" });
    expect(parseSlurmVersionHeader("#define SLURM_VERSION_STRING \"23.11.4\"\n")).toBeNull();
    // The installed header of ParallelCluster 3.13 (24.05), 3.14 (24.11) and 3.16.1 (25.11): configure
    // turns slurm_version.h.in's #undef into a #define after Slurm's own macros.
    const installed = (hex: string) =>
      `#ifndef _SLURM_VERSION_H_\n#define _SLURM_VERSION_H_\n\n#define SLURM_VERSION_NUMBER ${hex}\n\n#define SLURM_VERSION_NUM(a,b,c) (((a) << 16) + ((b) << 8) + (c))\n#define SLURM_VERSION_MAJOR(a)   (((a) >> 16) & 0xff)\n#define SLURM_VERSION_MINOR(a)   (((a) >>  8) & 0xff)\n#define SLURM_VERSION_MICRO(a)    ((a)        & 0xff)\n\n#endif\n`;
    expect(parseSlurmVersionHeader(installed("0x180508"))).toEqual({ version: "24.05.8", series: "24.05" });
    expect(parseSlurmVersionHeader(installed("0x180b06"))).toEqual({ version: "24.11.6", series: "24.11" });
    expect(parseSlurmVersionHeader(installed("0x190b08"))).toEqual({ version: "25.11.8", series: "25.11" });
    expect(parseSlurmVersionHeader("#define SLURM_VERSION_NUMBER SLURM_VERSION_NUM(25,11,8)\n")).toEqual({ version: "25.11.8", series: "25.11" });
    // The unconfigured template (only #undef) names no version.
    expect(parseSlurmVersionHeader("#undef SLURM_VERSION_NUMBER\n#define SLURM_VERSION_NUM(a,b,c) (((a) << 16) + ((b) << 8) + (c))\n")).toBeNull();
    const key = (s: SlurmHeaders, o: Record<string, unknown> = {}) => spankLayout(site(o), s).key;
    expect(key(SLURM_23_11_4)).toMatch(/^slurm-23\.11-[0-9a-f]{12}-[0-9a-f]{8}$/);
    expect(key({ version: "23.11.10", series: "23.11" })).toBe(key(SLURM_23_11_4));
    expect(key({ version: "24.05.8", series: "24.05" })).not.toBe(key(SLURM_23_11_4));
    expect(key(SLURM_23_11_4, { slurmInclude: "/usr/include" })).not.toBe(key(SLURM_23_11_4));
    // Where it is registered or what it binds does not change the binary: same build.
    expect(key(SLURM_23_11_4, { bind: ["/scratch"], args: "disabled", defaultImage: "/opt/images/x.sif" })).toBe(key(SLURM_23_11_4));
  });

  it("one build, one stamp: what leaves the key alone (registration settings, a micro release) leaves the stamp's bytes alone", () => {
    const stamp = (o: Record<string, unknown>, slurm = SLURM_23_11_4) => {
      const l = spankLayout(site(o), slurm);
      const rs = spankResources(nodeFacts("login", simOs("ubuntu2204")), site(o), ENV, { ...INPUTS, slurm, built: true });
      return rs.find((r): r is FileResource => r.kind === "file" && r.path === l.stamp)!;
    };
    const plain = stamp({});
    expect(JSON.parse(String(plain.content))).toMatchObject({ key: spankLayout(site(), SLURM_23_11_4).key, slurmSeries: "23.11" });
    expect(stamp({ bind: ["/scratch", "/data"], args: "disabled", defaultImage: "/opt/images/x.sif" })).toEqual(plain);
    expect(stamp({}, { version: "23.11.10", series: "23.11" })).toEqual(plain);
  });

  it("configures with the project's CMake interface against the cluster's headers", () => {
    const l = spankLayout(site(), SLURM_23_11_4);
    expect(cmakeConfigureArgv(site(), l)).toEqual([
      "cmake", "-S", `/var/lib/pwb-agent/spank/builds/${l.key}/src`, "-B", `/var/lib/pwb-agent/spank/builds/${l.key}/build`,
      "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
      `-DCMAKE_INSTALL_PREFIX=/usr/local/lib/pwb-agent/spank/${l.key}`,
      "-DCMAKE_INSTALL_LIBEXECDIR=libexec",
      "-DSLURM_INCLUDE_DIR=/opt/slurm/include/slurm",
      "-DCMAKE_C_STANDARD_INCLUDE_DIRECTORIES=/opt/slurm/include",
      "-DCMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES=/opt/slurm/include",
      "-DINSTALL_PLUGSTACK_CONF=OFF",
      "-DBUILD_TESTING=OFF",
    ]);
    // A compiler's default include dir is not added again (it breaks C++'s #include_next).
    expect(cmakeConfigureArgv(site({ slurmInclude: "/usr/include" }), l)).not.toContain("-DCMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES=/usr/include");
  });

  it("every role builds and installs outside /opt/slurm; only the head registers; only compute restarts slurmd", () => {
    const byRole = Object.fromEntries((["head", "login", "compute"] as const).map((role) => [role, spankResources(nodeFacts(role, simOs("rocky9")), site(), ENV, INPUTS)]));
    for (const rs of Object.values(byRole)) {
      expect(rs[0]?.kind).toBe("download"); // a bad archive stops everything before anything else changes
      for (const r of rs) if ("path" in r && r.kind !== "dir" && r.kind !== "file") expect(r.path.startsWith("/opt/slurm")).toBe(false);
    }
    const registration = (rs: Resource[]) => rs.filter((r) => "path" in r && r.path.startsWith("/opt/slurm/etc"));
    expect(registration(byRole.head!).map((r) => `${r.kind} ${(r as FileResource).path}`)).toEqual([
      "dir /opt/slurm/etc/plugstack.conf.d",
      "file /opt/slurm/etc/plugstack.conf.d/singularity-exec.conf",
      "file /opt/slurm/etc/plugstack.conf",
    ]);
    expect(registration(byRole.login!)).toEqual([]);
    expect(registration(byRole.compute!)).toEqual([]);
    const current = (rs: Resource[]) => rs.find((r) => r.kind === "symlink")!;
    expect(current(byRole.compute!)).toMatchObject({ path: "/usr/local/lib/pwb-agent/spank/current", notifies: ["slurmd.service"] });
    expect(current(byRole.head!)).not.toHaveProperty("notifies");
    expect(current(byRole.login!)).not.toHaveProperty("notifies");
    expect(paths(byRole.login!)).toEqual(paths(byRole.compute!));
  });

  it("a node that has this build already (e.g. baked into the AMI) needs no archive, no compiler, no build step", () => {
    const rs = spankResources(nodeFacts("login", simOs("rocky9")), site(), ENV, { ...INPUTS, built: true });
    const l = spankLayout(site(), SLURM_23_11_4);
    expect(paths(rs)).toEqual([`file ${l.stamp}`, `symlink ${l.current}`, `file ${l.nodeWrapper}`]);
  });

  it("registration files are written through a temp dir outside plugstack.conf.d (its include glob would load a temp file)", () => {
    const rs = spankResources(nodeFacts("head", simOs("ubuntu2204")), site(), ENV, INPUTS);
    const files = rs.filter((r): r is FileResource => r.kind === "file" && r.path.startsWith("/opt/slurm/etc"));
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f.tmpDir).toBe("/opt/slurm/etc/.pwb-agent-tmp");
      expect(globMatches("/opt/slurm/etc/plugstack.conf.d/*", `${f.tmpDir}/.singularity-exec.conf.pwb-tmp-1-abc`)).toBe(false);
    }
  });

  it("the plugstack line: library and script through `current`, binds from containers.bind plus spank.bind, args", () => {
    const l = spankLayout(site(), SLURM_23_11_4);
    expect(registrationLine(l, { defaultImage: "", bind: ["/opt/slurm/etc", "/scratch"], args: "--cleanenv" })).toBe(
      'required /usr/local/lib/pwb-agent/spank/current/libexec/slurm-singularity-exec.so default= script=/usr/local/lib/pwb-agent/spank/node-wrapper.sh bind=/opt/slurm/etc,/scratch args="--cleanenv"',
    );
    expect(registrationLine(l, { defaultImage: "/opt/rstudio/container/r.sif", bind: [], args: "disabled" })).toMatch(/ default=\/opt\/rstudio\/container\/r\.sif .* bind= args=disabled$/);
    const head = spankResources(nodeFacts("head", simOs("rocky9")), site({ bind: ["/scratch", "/var/run/munge"] }), ENV, INPUTS);
    const conf = head.find((r): r is FileResource => r.kind === "file" && r.path.endsWith("singularity-exec.conf"))!;
    expect(conf.content).toContain(" bind=/opt/slurm/etc,/opt/slurm/libexec,/var/spool/slurmd,/var/run/munge,/scratch args=\"\"\n");
  });

  it("plugstack.conf: keeps what is there, adds the include once, never a second include that matches our file", () => {
    const p = registrationPaths("/opt/slurm/etc");
    const include = "include /opt/slurm/etc/plugstack.conf.d/*.conf";
    expect(mergedPlugstack(null, p)).toBe(`# Managed by pwb-agent (spank component): other lines are kept.\n${include}\n`);
    expect(mergedPlugstack("optional /usr/lib64/slurm/other.so", p)).toBe(`optional /usr/lib64/slurm/other.so\n# Added by pwb-agent (spank component): loads /opt/slurm/etc/plugstack.conf.d/singularity-exec.conf.\n${include}\n`);
    // ParallelCluster's own convention (its Pyxis example): `include …/plugstack.conf.d/*` already loads our file.
    const pcluster = "include /opt/slurm/etc/plugstack.conf.d/*\n";
    expect(mergedPlugstack(pcluster, p)).toBe(pcluster);
    expect(mergedPlugstack(`# ours\n${include}\n`, p)).toBe(`# ours\n${include}\n`);
    expect(mergedPlugstack("include /etc/slurm/plugstack.conf.d/*.conf\n", p)).toContain(`\n${include}\n`);
    expect(globMatches("/a/plugstack.conf.d/*.con[fg]", "/a/plugstack.conf.d/singularity-exec.conf")).toBe(true);
    expect(globMatches("/a/plugstack.conf.d/?.conf", "/a/plugstack.conf.d/singularity-exec.conf")).toBe(false);
    expect(globMatches("/a/*", "/a/plugstack.conf.d/singularity-exec.conf")).toBe(false);
  });

  it("--nv only on NVIDIA GPU nodes: the per-node script= wrapper", () => {
    const l = spankLayout(site(), SLURM_23_11_4);
    expect(nodeWrapperScript(l, true)).toContain('SLURM_SINGULARITY_ARGS="--nv${SLURM_SINGULARITY_ARGS:+ $SLURM_SINGULARITY_ARGS}"\n');
    expect(nodeWrapperScript(l, false)).not.toContain("--nv");
    const wrapper = (gpu: boolean) =>
      spankResources(nodeFacts("compute", simOs("rocky9"), gpu ? NVIDIA_A10G : null), site(), ENV, INPUTS).find((r): r is FileResource => r.kind === "file" && r.path.endsWith("node-wrapper.sh"))!;
    expect(String(wrapper(true).content)).toContain("--nv");
    expect(String(wrapper(false).content)).not.toContain("--nv");
  });

  it("the node wrapper runs apptainer, or singularity where only that exists, and keeps the job's stdout clean", async () => {
    const dir = await tempDir("pwb-spank-wrapper-");
    const script = path.join(dir, "node-wrapper.sh");
    await fs.writeFile(script, nodeWrapperScript(spankLayout(site(), SLURM_23_11_4), true), { mode: 0o755 });
    const image = path.join(dir, "r.sif");
    await fs.writeFile(image, "not a SIF\n");
    const run = async (runtimes: string[]) => {
      const bin = path.join(dir, `bin-${runtimes.join("-")}`);
      await fs.mkdir(bin);
      for (const name of runtimes) await fs.writeFile(path.join(bin, name), `#!/bin/sh\necho "${name}:$*"\n`, { mode: 0o755 });
      return spawnSync("/bin/sh", [script, image, "hostname", "-s"], {
        encoding: "utf8",
        env: { PATH: `${bin}:/usr/bin:/bin`, SLURM_SINGULARITY_BIND: "/opt/slurm/etc,/scratch", SLURM_SINGULARITY_ARGS: "--cleanenv --no-home", SLURM_SINGULARITY_GLOBAL: "--quiet" },
      });
    };
    const both = await run(["apptainer", "singularity"]);
    expect(both.status, both.stderr).toBe(0);
    // stdout is exactly what the container printed: the start line goes to stderr.
    expect(both.stdout).toBe(`apptainer:--quiet exec --bind=/opt/slurm/etc,/scratch --nv --cleanenv --no-home ${image} hostname -s\n`);
    expect(both.stderr).toBe(`Start container image ${image}\n`);
    const singularityOnly = await run(["singularity"]);
    expect(singularityOnly.stdout).toBe(`singularity:--quiet exec --bind=/opt/slurm/etc,/scratch --nv --cleanenv --no-home ${image} hostname -s\n`);
    const none = await run([]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("neither apptainer nor singularity on PATH");
  });

  it("gather: no Slurm headers is a clear failure; the head reads plugstack.conf, other roles do not", async () => {
    const dir = await tempDir("pwb-spank-gather-");
    const root = new Root(dir);
    await expect(gatherSpank(root, "compute", site(), "/opt/slurm/etc")).rejects.toThrow(RuntimeFailure);
    await fs.mkdir(path.join(dir, "opt/slurm/include/slurm"), { recursive: true });
    await fs.mkdir(path.join(dir, "opt/slurm/etc"), { recursive: true });
    await fs.writeFile(path.join(dir, "opt/slurm/include/slurm/slurm_version.h"), "#define SLURM_VERSION_NUMBER 0x180b06\n");
    await fs.writeFile(path.join(dir, "opt/slurm/etc/plugstack.conf"), "include /opt/slurm/etc/plugstack.conf.d/*\n");
    const slurm = { version: "24.11.6", series: "24.11" };
    expect(await gatherSpank(root, "head", site(), "/opt/slurm/etc")).toEqual({ slurm, plugstack: "include /opt/slurm/etc/plugstack.conf.d/*\n", built: false });
    expect(await gatherSpank(root, "login", site(), "/opt/slurm/etc")).toEqual({ slurm, plugstack: null, built: false });
    // A build for these headers (say, baked into the AMI) is found by its stamp.
    const stamp = spankLayout(site(), slurm).stamp;
    await fs.mkdir(path.join(dir, path.dirname(stamp)), { recursive: true });
    await fs.writeFile(path.join(dir, stamp), "{}\n");
    expect((await gatherSpank(root, "login", site(), "/opt/slurm/etc")).built).toBe(true);
  });

  it("plans for a head node (Rocky 9) and a GPU compute node (Ubuntu 24.04) match the golden command lists", async () => {
    const sections: string[] = [];
    for (const [label, facts] of [
      ["rocky9 head, Slurm 23.11.4", nodeFacts("head", simOs("rocky9"))],
      ["ubuntu2404 GPU compute node, Slurm 23.11.4", nodeFacts("compute", simOs("ubuntu2404"), NVIDIA_A10G)],
    ] as const) {
      const lines = await simulatedApply(spankResources(facts, site(), ENV, INPUTS), facts.os.family!);
      sections.push(`## ${label}\n${lines.map((l) => `  ${l}`).join("\n")}`);
    }
    await expectGolden("test/golden/spank/plans.txt", sections.join("\n\n") + "\n");
  });

  it("site section: validated and defaulted", () => {
    const s = site();
    expect(s).toMatchObject({ slurmInclude: "/opt/slurm/include", installDir: "/usr/local/lib/pwb-agent/spank", library: "slurm-singularity-exec.so", defaultImage: "", args: "" });
    expect(spankSection.safeParse({ source: { url: "ftp://x/y.tgz", sha256: fakeSha256("x") } }).success).toBe(false);
    expect(spankSection.safeParse({ source: { url: "https://x/y.tgz", sha256: "abc" } }).success).toBe(false);
    expect(spankSection.safeParse({ source: { url: "https://x/y.tgz", sha256: fakeSha256("x") }, args: 'a"b' }).success).toBe(false);
    expect(spankSection.safeParse({ source: { url: "https://x/y.tgz", sha256: fakeSha256("x") }, bind: ["relative"] }).success).toBe(false);
  });
});
