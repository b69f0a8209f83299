import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Root } from "../../agent/nodefs/root.js";
import { BadInputError } from "../../agent/errors.js";
import { readHardwareFacts } from "../../agent/facts/hardware.js";
import { gatherFacts } from "../../agent/facts/index.js";
import { NodeReader } from "../../agent/facts/reader.js";
import { ROLES, type Role } from "../../agent/facts/types.js";
import { createLogger, silentLogger } from "../../agent/log.js";
import { SIM_OSES, writeSimulatedNode, type SimNodeOptions, type SimOs } from "../../agent/simulation/node.js";

const log = silentLogger();
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function simNode(o: SimNodeOptions): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-facts-"));
  dirs.push(dir);
  await writeSimulatedNode(dir, o);
  return dir;
}

/** Writes (or replaces) one node file under a simulated root. */
async function put(dir: string, nodePath: string, content: string): Promise<void> {
  const real = path.join(dir, nodePath);
  await fs.mkdir(path.dirname(real), { recursive: true });
  await fs.writeFile(real, content);
}

function gather(dir: string, roleOverride?: Role) {
  return gatherFacts({ root: new Root(dir), imds: { enabled: false }, log, ...(roleOverride ? { roleOverride } : {}) });
}

const FAMILY: Record<SimOs, "rhel" | "debian"> = {
  rocky8: "rhel", rocky9: "rhel", rhel8: "rhel", rhel9: "rhel", almalinux8: "rhel", almalinux9: "rhel",
  alinux2023: "rhel", ubuntu2204: "debian", ubuntu2404: "debian",
};
const MAJOR: Record<SimOs, number> = {
  rocky8: 8, rocky9: 9, rhel8: 8, rhel9: 9, almalinux8: 8, almalinux9: 9, alinux2023: 2023, ubuntu2204: 22, ubuntu2404: 24,
};
const simOses = Object.keys(SIM_OSES) as SimOs[];
const matrix = simOses.flatMap((simOs) => ROLES.map((role) => [simOs, role] as const));

describe("every supported OS × role (dna.json)", () => {
  it.each(matrix)("%s %s", async (simOs, role) => {
    const dir = await simNode({ role, os: simOs, clusterName: `c-${simOs}`, region: "ap-south-2", queue: "gpu-q", pool: "pool-a", cpus: 8, memoryMiB: 31_000 });
    const f = await gather(dir);
    expect(f.role).toBe(role);
    expect(f.roleSource).toBe("dna.json");
    expect(f.cluster.name).toBe(`c-${simOs}`);
    expect(f.cluster.region).toBe("ap-south-2");
    expect(f.cluster.queue).toBe(role === "compute" ? "gpu-q" : null);
    expect(f.cluster.pool).toBe(role === "login" ? "pool-a" : null);
    expect(f.cluster.headNodeIp).toBe(role === "head" ? null : "10.0.0.10");
    expect(f.cluster.scheduler).toBe("slurm");
    expect(f.cluster.sharedStorageType).toBe("efs");
    expect(f.os).toMatchObject({ id: SIM_OSES[simOs].ID, version: SIM_OSES[simOs].VERSION_ID, major: MAJOR[simOs], family: FAMILY[simOs], supported: true });
    expect(f.os.prettyName).toBe(SIM_OSES[simOs].PRETTY_NAME);
    expect(f.cpus).toBe(8);
    expect(f.memoryMiB).toBe(31_000);
    expect(f.gpu).toBeNull();
    expect(f.instance).toEqual({ id: null, type: null, region: null, availabilityZone: null, source: "none" });
    expect(f.sources).toEqual(expect.arrayContaining(["/etc/chef/dna.json", "/etc/os-release", "/proc/meminfo", "/sys/devices/system/cpu/online"]));
    expect(f.sources).not.toContain("/etc/parallelcluster/cfnconfig");
  });
});

describe("GPU", () => {
  it("counts NVIDIA 3D controllers on the PCI bus without a driver", async () => {
    const f = await gather(await simNode({ role: "compute", gpus: 4 }));
    expect(f.gpu).toEqual({ vendor: "nvidia", count: 4, model: null, driverVersion: null, evidence: ["pci"] });
    expect(f.sources).toContain("/sys/bus/pci/devices");
  });

  it("reads driver version and model when the driver is loaded", async () => {
    const f = await gather(await simNode({ role: "compute", gpus: 2, gpuDriver: "550.127.05" }));
    expect(f.gpu).toEqual({ vendor: "nvidia", count: 2, model: "NVIDIA A10G", driverVersion: "550.127.05", evidence: ["pci", "driver"] });
    expect(f.sources).toEqual(expect.arrayContaining(["/proc/driver/nvidia/version", "/proc/driver/nvidia/gpus/0000:00:1e.0/information"]));
  });

  it("ignores non-NVIDIA and non-display NVIDIA functions", async () => {
    const dir = await simNode({ role: "compute" });
    await put(dir, "/sys/bus/pci/devices/0000:00:05.0/vendor", "0x10de\n");
    await put(dir, "/sys/bus/pci/devices/0000:00:05.0/class", "0x068000\n"); // NVSwitch bridge
    await put(dir, "/sys/bus/pci/devices/0000:00:06.0/vendor", "0x1002\n"); // AMD GPU (g4ad)
    await put(dir, "/sys/bus/pci/devices/0000:00:06.0/class", "0x030000\n");
    await put(dir, "/sys/bus/pci/devices/0000:00:07.0/vendor", "0x10de\n"); // NVIDIA VGA
    await put(dir, "/sys/bus/pci/devices/0000:00:07.0/class", "0x030000\n");
    const f = await gather(dir);
    expect(f.gpu?.count).toBe(1);
  });

  it("reports no GPU on a node without one", async () => {
    const f = await gather(await simNode({ role: "login" }));
    expect(f.gpu).toBeNull();
    expect(f.sources).toContain("/sys/bus/pci/devices"); // looked, found only the host bridge
  });

  it("uses the instance type only when PCI sysfs is absent", async () => {
    const spec = (type: string) =>
      JSON.stringify({ region: "us-east-1", "cluster-name": "c", compute: { "queue-name": "q", "instance-id": "i-0aa", "instance-type": type, "availability-zone": "us-east-1a" } });
    const dir = await simNode({ role: "compute" });
    await put(dir, "/etc/parallelcluster/slurm_plugin/slurm_node_spec.json", spec("g5.2xlarge"));
    // The bus is visible and has no NVIDIA device: the bus wins over the instance type.
    expect((await gather(dir)).gpu).toBeNull();

    await fs.rm(path.join(dir, "sys/bus/pci"), { recursive: true });
    const hinted = await gather(dir);
    expect(hinted.gpu).toEqual({ vendor: "nvidia", count: 0, model: null, driverVersion: null, evidence: ["instance-type"] });
    expect(hinted.instance).toEqual({ id: "i-0aa", type: "g5.2xlarge", region: "us-east-1", availabilityZone: "us-east-1a", source: "node-files" });

    await put(dir, "/etc/parallelcluster/slurm_plugin/slurm_node_spec.json", spec("g4ad.xlarge")); // AMD Radeon
    expect((await gather(dir)).gpu).toBeNull();
  });
});

describe("role files", () => {
  it("falls back to cfnconfig when dna.json is absent", async () => {
    const dir = await simNode({ role: "compute", factFiles: "cfnconfig", clusterName: "cfn-only", region: "us-west-2", queue: "batch" });
    const f = await gather(dir);
    expect(f.role).toBe("compute");
    expect(f.roleSource).toBe("cfnconfig");
    expect(f.cluster).toEqual({ name: "cfn-only", region: "us-west-2", queue: "batch", pool: null, headNodeIp: "10.0.0.10", scheduler: "slurm", sharedStorageType: null });
    expect(f.sources).toContain("/etc/parallelcluster/cfnconfig");
    expect(f.sources).not.toContain("/etc/chef/dna.json");
  });

  it.each(["head", "login"] as const)("reads a %s node from cfnconfig alone", async (role) => {
    const f = await gather(await simNode({ role, factFiles: "cfnconfig" }));
    expect(f.role).toBe(role);
    expect(f.roleSource).toBe("cfnconfig");
    expect(f.cluster.pool).toBeNull(); // cfnconfig carries no pool name
  });

  it("prefers dna.json when both exist, and fills gaps from cfnconfig", async () => {
    const dir = await simNode({ role: "compute", factFiles: "both", region: "eu-central-1" });
    await put(dir, "/etc/parallelcluster/cfnconfig", "cfn_node_type=HeadNode\ncfn_region=us-east-2\nstack_name=other\ncfn_scheduler_queue_name=q9\n");
    const dna = JSON.parse(await fs.readFile(path.join(dir, "etc/chef/dna.json"), "utf8")) as { cluster: Record<string, string> };
    delete dna.cluster.scheduler_queue_name;
    await put(dir, "/etc/chef/dna.json", JSON.stringify(dna));
    const f = await gather(dir);
    expect(f.role).toBe("compute");
    expect(f.roleSource).toBe("dna.json");
    expect(f.cluster.region).toBe("eu-central-1");
    expect(f.cluster.name).toBe("pwb-demo");
    expect(f.cluster.queue).toBe("q9");
    expect(f.sources.slice(0, 2)).toEqual(["/etc/chef/dna.json", "/etc/parallelcluster/cfnconfig"]);
  });

  it("takes the role from cfnconfig when dna.json lacks node_type", async () => {
    const dir = await simNode({ role: "login", factFiles: "both" });
    await put(dir, "/etc/chef/dna.json", JSON.stringify({ cluster: { stack_name: "s", region: "NONE" } }));
    const f = await gather(dir);
    expect(f.role).toBe("login");
    expect(f.roleSource).toBe("cfnconfig");
    expect(f.cluster.region).toBe("eu-west-1"); // "NONE" in dna.json means unset
  });

  it("fails with the files it looked for when neither exists, and --role overrides", async () => {
    const dir = await simNode({ role: "head", factFiles: "none" });
    // A bootstrap leftover that must never count.
    await put(dir, "/tmp/dna.json", JSON.stringify({ cluster: { node_type: "LoginNode" } }));
    const err = await gather(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    const msg = (err as Error).message;
    expect(msg).toContain("/etc/chef/dna.json (not found)");
    expect(msg).toContain("/etc/parallelcluster/cfnconfig (not found)");
    expect(msg).toContain("--role");
    expect(msg).toContain(dir);

    const f = await gather(dir, "login");
    expect(f.role).toBe("login");
    expect(f.roleSource).toBe("override");
    expect(f.cluster).toEqual({ name: null, region: null, queue: null, pool: null, headNodeIp: null, scheduler: null, sharedStorageType: null });
    expect(f.sources.some((s) => s.startsWith("/tmp"))).toBe(false);
  });

  it("logs the override only when --role was given, not for a command's own default role (bake)", async () => {
    const dir = await simNode({ role: "head", factFiles: "both" });
    const lines: string[] = [];
    const capture = createLogger({ sink: (l) => lines.push(l) });
    await gatherFacts({ root: new Root(dir), imds: { enabled: false }, log: capture, roleOverride: "compute" });
    expect(lines.join("")).toContain("--role overrides the detected role");
    lines.length = 0;
    const f = await gatherFacts({ root: new Root(dir), imds: { enabled: false }, log: capture, roleOverride: "compute", roleOverrideIsDefault: true });
    expect(f.role).toBe("compute");
    expect(lines.join("")).not.toContain("--role");
  });

  it("says which file was read but had no node type", async () => {
    const dir = await simNode({ role: "head", factFiles: "none" });
    await put(dir, "/etc/chef/dna.json", JSON.stringify({ cluster: {} }));
    await expect(gather(dir)).rejects.toThrow(/dna\.json \(read, no cluster\.node_type\)/);
  });

  it("rejects a malformed dna.json, naming the file and the parse problem", async () => {
    const dir = await simNode({ role: "compute", factFiles: "both" });
    await put(dir, "/etc/chef/dna.json", '{"cluster": {"node_type": "ComputeFleet",');
    const err = await gather(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(/^\/etc\/chef\/dna\.json: not valid JSON \(.+\)$/);
    await put(dir, "/etc/chef/dna.json", "[1, 2]");
    await expect(gather(dir)).rejects.toThrow(/dna\.json: expected a JSON object/);
  });

  it("rejects an unknown node_type, naming file, field and the expected values", async () => {
    const dir = await simNode({ role: "compute", factFiles: "both" });
    await put(dir, "/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "Compute", stack_name: "c" } }));
    const err = await gather(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    const msg = (err as Error).message;
    expect(msg).toContain("/etc/chef/dna.json");
    expect(msg).toContain('cluster.node_type is "Compute"');
    expect(msg).toContain("HeadNode, LoginNode, ComputeFleet");
    // --role settles it; the rest of the file still counts.
    const f = await gather(dir, "compute");
    expect(f.roleSource).toBe("override");
    expect(f.cluster.name).toBe("c");
  });

  it("rejects an unknown cfn_node_type", async () => {
    const dir = await simNode({ role: "compute", factFiles: "none" });
    await put(dir, "/etc/parallelcluster/cfnconfig", "cfn_node_type=Bogus\n");
    await expect(gather(dir)).rejects.toThrow(/cfnconfig: cfn_node_type is "Bogus"; expected one of HeadNode, LoginNode, ComputeFleet/);
  });
});

describe("operating system", () => {
  const release = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `${k}="${v}"`).join("\n") + "\n";
  it.each([
    ["debian 12", { ID: "debian", VERSION_ID: "12", PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)" }, "debian", 12],
    ["centos 7", { ID: "centos", VERSION_ID: "7", ID_LIKE: "rhel fedora", PRETTY_NAME: "CentOS Linux 7 (Core)" }, "rhel", 7],
    ["amazon linux 2", { ID: "amzn", VERSION_ID: "2", ID_LIKE: "centos rhel fedora", PRETTY_NAME: "Amazon Linux 2" }, "rhel", 2],
    ["rocky 10", { ID: "rocky", VERSION_ID: "10.0", ID_LIKE: "rhel centos fedora", PRETTY_NAME: "Rocky Linux 10.0" }, "rhel", 10],
    ["ubuntu 20.04", { ID: "ubuntu", VERSION_ID: "20.04", ID_LIKE: "debian", PRETTY_NAME: "Ubuntu 20.04.6 LTS" }, "debian", 20],
    ["pop!_os (ID_LIKE)", { ID: "pop", VERSION_ID: "22.04", ID_LIKE: "ubuntu debian", PRETTY_NAME: "Pop!_OS 22.04 LTS" }, "debian", 22],
    ["opensuse", { ID: "opensuse-leap", VERSION_ID: "15.6", ID_LIKE: "suse opensuse", PRETTY_NAME: "openSUSE Leap 15.6" }, null, 15],
  ] as const)("%s is reported unsupported, not thrown", async (_name, vars, family, major) => {
    const dir = await simNode({ role: "compute" });
    await put(dir, "/etc/os-release", release(vars));
    const f = await gather(dir);
    expect(f.os).toEqual({ id: vars.ID, version: vars.VERSION_ID, major, family, supported: false, prettyName: vars.PRETTY_NAME });
  });

  it("falls back to /usr/lib/os-release, and reports an unknown OS when there is none", async () => {
    const dir = await simNode({ role: "head" });
    await fs.rename(path.join(dir, "etc/os-release"), path.join(dir, "os-release.bak"));
    const none = await gather(dir);
    expect(none.os).toEqual({ id: "unknown", version: "", major: null, family: null, supported: false, prettyName: null });
    expect(none.sources).not.toContain("/etc/os-release");

    await put(dir, "/usr/lib/os-release", "ID=ubuntu\nVERSION_ID=24.04\n");
    const lib = await gather(dir);
    expect(lib.os).toMatchObject({ id: "ubuntu", family: "debian", supported: true, prettyName: null });
    expect(lib.sources).toContain("/usr/lib/os-release");
  });
});

describe("hardware", () => {
  it.each([
    ["0-3,8-11\n", 8],
    ["0\n", 1],
    ["0-63", 64],
    ["0,2,4-5", 4],
  ])("counts CPU list %j as %d", async (list, n) => {
    const dir = await simNode({ role: "compute" });
    await put(dir, "/sys/devices/system/cpu/online", list);
    expect((await gather(dir)).cpus).toBe(n);
  });

  it.each(["", "garbage", "3-1", "0-"])("treats CPU list %j as unknown", async (list) => {
    const dir = await simNode({ role: "compute" });
    await put(dir, "/sys/devices/system/cpu/online", list);
    expect((await gather(dir)).cpus).toBeNull();
  });

  it("leaves cpus and memory null on a simulated root without the files", async () => {
    const dir = await simNode({ role: "compute" });
    await fs.rm(path.join(dir, "sys/devices"), { recursive: true });
    await fs.rm(path.join(dir, "proc/meminfo"));
    const f = await gather(dir);
    expect(f.cpus).toBeNull();
    expect(f.memoryMiB).toBeNull();
    expect(f.sources).not.toContain("/proc/meminfo");
  });

  it("falls back to node:os on the live node when the files are missing", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-facts-empty-"));
    dirs.push(dir);
    const hw = await readHardwareFacts(new NodeReader(new Root(dir)), true);
    expect(hw.cpus).toBe(os.cpus().length);
    expect(hw.memoryMiB).toBe(Math.floor(os.totalmem() / 1048576));
  });

  it("reads MemTotal in MiB", async () => {
    const dir = await simNode({ role: "compute" });
    await put(dir, "/proc/meminfo", "MemFree:  100 kB\nMemTotal:       65536000 kB\n");
    expect((await gather(dir)).memoryMiB).toBe(64_000);
  });
});

describe("sources", () => {
  it("lists only files that were read, in a stable order", async () => {
    const dir = await simNode({ role: "compute", gpus: 1, gpuDriver: "535.183.01" });
    const a = await gather(dir);
    const b = await gather(dir);
    expect(a.sources).toEqual(b.sources);
    expect(a.sources).toEqual([
      "/etc/chef/dna.json",
      "/etc/os-release",
      "/sys/devices/system/cpu/online",
      "/proc/meminfo",
      "/sys/bus/pci/devices",
      "/proc/driver/nvidia/version",
      "/proc/driver/nvidia/gpus",
      "/proc/driver/nvidia/gpus/0000:00:1e.0/information",
    ]);
  });
});
