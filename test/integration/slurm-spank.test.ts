import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import http from "node:http";
import { once } from "node:events";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherSpank } from "../../agent/components/spank/gather.js";
import { spankLayout } from "../../agent/components/spank/layout.js";
import { spankResources } from "../../agent/components/spank/plan.js";
import { Accounts } from "../../agent/nodefs/accounts.js";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import { SpawnRunner, type CommandRunner, type RunResult } from "../../agent/engine/runner.js";
import type { ApplyReport, EngineContext } from "../../agent/engine/types.js";
import type { GpuFacts, Role } from "../../agent/facts/types.js";
import { silentLogger } from "../../agent/log.js";
import { spankSection, type SpankSite } from "../../agent/site/sections/spank.js";
import { snapshot, tempDir } from "../helpers/engine.js";
import { hostOs, NVIDIA_A10G, nodeFacts } from "../helpers/node-facts.js";
import { LoopbackSlurm, spankWorkDir } from "../helpers/slurm.js";

/*
 * The spank component against a real Slurm (Debian's slurm-wlm + munge on loopback): it downloads our
 * own test plugin (test/fixtures/spank-plugin, same CMake interface as GSI-HPC/slurm-singularity-exec)
 * from a loopback HTTP server, verifies it, builds it with CMake against the "cluster's" headers,
 * installs it and registers it; real srun/sbatch jobs then go through the installed wrapper.
 *
 * Apptainer cannot be installed on the test machines, so the wrapper's `apptainer` is a stand-in
 * executable on PATH that records the argv it was given; the tests assert that argv exactly.
 *
 * The engine runs on root "/" (commands really run), with every path the component uses redirected into
 * a temp dir through the site config: the Slurm prefix (headers + etc), the install dir and the work dir.
 * The one system call redirected is `systemctl try-restart slurmd.service` (no systemd here): it
 * restarts the loopback slurmd, so a restart is real and visible as a new slurmd PID.
 */

const CONTAINERS_BIND = ["/opt/slurm/etc", "/opt/slurm/libexec", "/var/spool/slurmd", "/var/run/munge"];

let work = "";
let slurm: LoopbackSlurm | undefined;
let server: http.Server | undefined;
let served: Buffer = Buffer.alloc(0);
let genuine: Buffer = Buffer.alloc(0);
let spank: SpankSite;
let image = "";
let argvLog = "";
const slurmEtc = () => path.join(work, "slurm", "etc");
const headersFile = () => path.join(work, "slurm", "include", "slurm", "slurm_version.h");

/** What the engine ran and restarted during one apply. */
interface Run {
  report: ApplyReport;
  commands: string[][];
  restarts: string[];
}

/**
 * `restart: "record"` notes a slurmd restart without doing it: for headers faked to a newer Slurm
 * series, where the real (older) slurmd would rightly refuse the plugin built for them.
 */
async function converge(role: Role, gpu: GpuFacts | null = null, o: { restart?: "real" | "record" } = {}): Promise<Run> {
  const log = silentLogger();
  const root = new Root("/");
  const real = new SpawnRunner(log, false);
  const commands: string[][] = [];
  const restarts: string[] = [];
  let slurmdInvocation = 0;
  const runner: CommandRunner = {
    deferred: [],
    async run(argv, opts): Promise<RunResult> {
      if (argv[0] === "systemctl") {
        // slurmd runs outside systemd here: the engine's state queries see it running, a new invocation per restart.
        if (argv[1] === "show") return { argv, code: 0, stdout: argv.includes("--value") ? `slurmd-${slurmdInvocation}\n` : `LoadState=loaded\nActiveState=active\nInvocationID=slurmd-${slurmdInvocation}\n`, stderr: "", durationMs: 0, deferred: false };
        if (argv[1] === "try-restart" && argv[2] === "slurmd.service") {
          slurmdInvocation++;
          if (o.restart !== "record") await slurm!.restartSlurmd();
          restarts.push(argv[2]);
          return { argv, code: 0, stdout: "", stderr: "", durationMs: 0, deferred: false };
        }
        throw new Error(`unexpected systemctl call: ${argv.join(" ")}`);
      }
      if (opts?.mutates) commands.push(argv);
      return real.run(argv, opts);
    },
  };
  const ctx: EngineContext = { root, runner, log, accounts: new Accounts(root), osFamily: "debian", diffs: false, stats: { filesWritten: 0, bytesWritten: 0, commandsRun: 0 } };
  const facts = nodeFacts(role, hostOs(), gpu);
  const inputs = await gatherSpank(root, role, spank, slurmEtc());
  const resources = spankResources(facts, spank, { slurmEtc: slurmEtc(), containersBind: CONTAINERS_BIND }, inputs);
  const report = await apply(await plan(resources, ctx), resources, ctx);
  return { report, commands, restarts };
}

function slurmCmd(argv: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    env: slurm!.env({ PATH: `${path.join(work, "bin")}:${process.env.PATH}`, STANDIN_ARGV_LOG: argvLog, ...extraEnv }),
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `sbatch --wait` polls every few seconds; this polls every 100 ms. */
async function jobDone(jobId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const state = slurmCmd(["scontrol", "show", "job", jobId, "-o"]).out;
    const m = /JobState=(\S+)/.exec(state);
    if (m && m[1] === "COMPLETED") return;
    if (m && /FAILED|CANCELLED|TIMEOUT|NODE_FAIL/.test(m[1]!)) throw new Error(`job ${jobId} ended ${m[1]}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function recordedArgv(): Promise<string[]> {
  return (await fs.readFile(argvLog, "utf8")).split("\n").slice(0, -1);
}

const isCmake = (argv: string[]) => argv[0] === "cmake" || argv[0] === "tar";

async function slurmPrefixSnapshot(): Promise<Record<string, string>> {
  // etc and include: the configuration and headers; spool/log/run are the daemons' own runtime state.
  return { ...(await snapshot(slurmEtc())), ...(await snapshot(path.join(work, "slurm", "include"))) };
}

async function setHeaderVersion(hex: string): Promise<void> {
  const text = await fs.readFile(headersFile(), "utf8");
  await fs.writeFile(headersFile(), text.replace(/(#define SLURM_VERSION_NUMBER\s+)0x[0-9a-fA-F]+/, `$1${hex}`));
}

beforeAll(async () => {
  // The "cluster's" Slurm prefix (a copy of the headers, so a test can change their version) and the plugin's source archive.
  ({ work, archive: genuine } = await spankWorkDir(tempDir, "pwb-slurm-spank-"));
  served = genuine;
  server = http.createServer((req, res) => {
    if (req.url !== "/slurm-singularity-exec-1.0.0.tar.gz") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/gzip" }).end(served);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;

  spank = spankSection.parse({
    source: { url: `http://127.0.0.1:${port}/slurm-singularity-exec-1.0.0.tar.gz`, sha256: createHash("sha256").update(genuine).digest("hex") },
    slurmInclude: path.join(work, "slurm", "include"),
    installDir: path.join(work, "install"),
    workDir: path.join(work, "work"),
    bind: ["/scratch"],
    args: "--cleanenv --no-home",
  });

  // Apptainer stand-in (it cannot be installed here): records its argv, one per line, runs nothing.
  await fs.mkdir(path.join(work, "bin"));
  argvLog = path.join(work, "apptainer-argv");
  await fs.writeFile(
    path.join(work, "bin", "apptainer"),
    '#!/bin/sh\n# Stand-in for apptainer: records its argv.\nfor a in "$@"; do printf \'%s\\n\' "$a"; done > "$STANDIN_ARGV_LOG.tmp"\nmv "$STANDIN_ARGV_LOG.tmp" "$STANDIN_ARGV_LOG"\necho "apptainer stand-in ran"\n',
    { mode: 0o755 },
  );
  image = path.join(work, "images", "r-session.sif");
  await fs.mkdir(path.dirname(image));
  await fs.writeFile(image, "not a real SIF image\n");

  slurm = await LoopbackSlurm.start({ dir: path.join(work, "slurm"), plugstack: path.join(slurmEtc(), "plugstack.conf") });
  // A site's own plugstack.conf content the head node must keep.
  await fs.writeFile(path.join(slurmEtc(), "plugstack.conf"), "# site plugins, kept by pwb-agent\n");
});

afterAll(async () => {
  await slurm?.stop();
  if (server) {
    server.closeAllConnections();
    server.close();
  }
});

describe("spank component on a real Slurm (loopback)", () => {
  it("refuses a tampered archive and changes nothing under the Slurm prefix", async () => {
    served = Buffer.concat([genuine, Buffer.from("tampered")]);
    const before = await slurmPrefixSnapshot();
    const failed = converge("head").then(() => null, (e: Error) => e);
    const err = await failed;
    served = genuine;
    expect(err?.message).toMatch(/sha256 mismatch/);
    expect(await slurmPrefixSnapshot()).toEqual(before);
    await expect(fs.stat(spank.installDir)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(path.join(spank.workDir, "archives"))).toEqual([]);
  });

  it("compute node: downloads, verifies, builds with CMake, installs outside the Slurm prefix; a new build restarts slurmd", async () => {
    const pidBefore = slurm!.pid("slurmd");
    const run = await converge("compute");
    const layout = spankLayout(spank, { version: "22.05.8", series: "22.05" });
    expect(run.commands.filter(isCmake).map((a) => a.slice(0, 2).join(" "))).toEqual(["tar -xzf", "cmake -S", "cmake --build", "cmake --install"]);
    expect(run.commands.find((a) => a[1] === "-S")).toContain(`-DSLURM_INCLUDE_DIR=${spank.slurmInclude}/slurm`);
    expect(await fs.readlink(path.join(spank.installDir, "current"))).toBe(layout.key);
    expect((await fs.stat(layout.library)).isFile()).toBe(true);
    expect(run.report.restarted).toEqual(["slurmd.service"]);
    expect(run.restarts).toEqual(["slurmd.service"]);
    expect(slurm!.pid("slurmd")).not.toBe(pidBefore);
    // Compute nodes never register: that is the head node's job.
    await expect(fs.stat(path.join(slurmEtc(), "plugstack.conf.d"))).rejects.toThrow(/ENOENT/);
  });

  it("head node: registers from the same build (no rebuild), keeps the site's plugstack lines; srun/sbatch/salloc list the options", async () => {
    const run = await converge("head");
    expect(run.commands.filter(isCmake)).toEqual([]);
    expect(run.report.restarted).toEqual([]);
    const plugstack = await fs.readFile(path.join(slurmEtc(), "plugstack.conf"), "utf8");
    expect(plugstack).toBe(`# site plugins, kept by pwb-agent\n# Added by pwb-agent (spank component): loads ${slurmEtc()}/plugstack.conf.d/singularity-exec.conf.\ninclude ${slurmEtc()}/plugstack.conf.d/*.conf\n`);
    const conf = await fs.readFile(path.join(slurmEtc(), "plugstack.conf.d", "singularity-exec.conf"), "utf8");
    expect(conf.split("\n")[1]).toBe(
      `required ${spank.installDir}/current/libexec/slurm-singularity-exec.so default= script=${spank.installDir}/node-wrapper.sh ` +
        `bind=${[...CONTAINERS_BIND, "/scratch"].join(",")} args="--cleanenv --no-home"`,
    );
    // No temporary file was ever left where the include glob looks.
    expect(await fs.readdir(path.join(slurmEtc(), "plugstack.conf.d"))).toEqual(["singularity-exec.conf"]);
    for (const cmd of ["srun", "sbatch", "salloc"]) {
      const help = slurmCmd([cmd, "--help"]);
      expect(help.out, `${cmd} --help`).toContain("--singularity-container=<image>");
      expect(help.out, `${cmd} --help`).toContain("--singularity-bind=<paths>");
    }
  });

  it("a job with --singularity-container runs through the installed wrapper (apptainer stand-in records the exact argv)", async () => {
    const srun = slurmCmd(["srun", `--singularity-container=${image}`, "/bin/echo", "hello"]);
    expect(srun.code, srun.err).toBe(0);
    expect(srun.out).toBe("apptainer stand-in ran\n");
    expect(await recordedArgv()).toEqual(["exec", `--bind=${[...CONTAINERS_BIND, "/scratch"].join(",")}`, "--cleanenv", "--no-home", image, "/bin/echo", "hello"]);

    // sbatch sees the option too (registered in slurm_spank_init): the batch script runs in the container.
    await fs.rm(argvLog, { force: true });
    const sbatch = slurmCmd(["sbatch", "--parsable", "-o", path.join(work, "batch.out"), `--singularity-container=${image}`, "--singularity-bind=/data", "--wrap", "echo batch"]);
    expect(sbatch.code, sbatch.err).toBe(0);
    await jobDone(sbatch.out.trim());
    const batchArgv = await recordedArgv();
    expect(batchArgv.slice(0, 3)).toEqual(["exec", `--bind=${[...CONTAINERS_BIND, "/scratch", "/data"].join(",")}`, "--cleanenv"]);
    expect(batchArgv.at(-1)).toMatch(/slurm_script$/);

    // Without the option a job runs on the host: the stand-in is not called.
    await fs.rm(argvLog, { force: true });
    const plain = slurmCmd(["srun", "/bin/echo", "on the host"]);
    expect(plain.out).toBe("on the host\n");
    await expect(fs.stat(argvLog)).rejects.toThrow(/ENOENT/);
  });

  it("GPU compute node: containers get --nv (per-node wrapper), without a rebuild or a slurmd restart", async () => {
    const run = await converge("compute", NVIDIA_A10G);
    expect(run.commands).toEqual([]);
    expect(run.report.restarted).toEqual([]);
    expect(run.report.applied.map((a) => a.id)).toEqual([`file:${spank.installDir}/node-wrapper.sh`]);
    const srun = slurmCmd(["srun", `--singularity-container=${image}`, "hostname"]);
    expect(srun.code, srun.err).toBe(0);
    expect(await recordedArgv()).toEqual(["exec", `--bind=${[...CONTAINERS_BIND, "/scratch"].join(",")}`, "--nv", "--cleanenv", "--no-home", image, "hostname"]);
  });

  it("a second apply changes nothing: no command, no rebuild, no slurmd restart, no file rewritten", async () => {
    const pid = slurm!.pid("slurmd");
    const installed = await snapshot(spank.installDir);
    const registered = await snapshot(slurmEtc());
    // One machine plays both nodes here, so both applies describe it the same way: a GPU node.
    for (const role of ["compute", "head"] as const) {
      const gpu = NVIDIA_A10G;
      const run = await converge(role, gpu);
      expect(run.report.changes, role).toBe(0);
      expect(run.commands, role).toEqual([]);
      expect(run.report.restarted, role).toEqual([]);
      expect(run.report.filesWritten, role).toBe(0);
    }
    expect(slurm!.pid("slurmd")).toBe(pid);
    expect(await snapshot(spank.installDir)).toEqual(installed);
    expect(await snapshot(slurmEtc())).toEqual(registered);
  });

  it("Slurm upgrades: a micro release keeps the build; a new release series rebuilds and restarts slurmd; going back reuses the old build", async () => {
    await setHeaderVersion("0x160509"); // 22.05.9: same ABI for SPANK plugins (Slurm checks major.minor only)
    const micro = await converge("compute", NVIDIA_A10G);
    expect(micro.report.changes).toBe(0);

    // 22.11.0: a new series. Only the headers say so here; the running slurmd is still 22.05 and would
    // refuse this build ("Incompatible Slurm plugin version", slurmd does not start), so the restart is recorded.
    await setHeaderVersion("0x160b00");
    const series = await converge("compute", NVIDIA_A10G, { restart: "record" });
    expect(series.commands.filter(isCmake).map((a) => a.slice(0, 2).join(" "))).toEqual(["tar -xzf", "cmake -S", "cmake --build", "cmake --install"]);
    expect(await fs.readlink(path.join(spank.installDir, "current"))).toMatch(/^slurm-22\.11-/);
    expect(series.report.restarted).toEqual(["slurmd.service"]);
    expect(series.restarts).toEqual(["slurmd.service"]);

    await setHeaderVersion("0x160508");
    const back = await converge("compute", NVIDIA_A10G);
    expect(back.commands).toEqual([]);
    expect(await fs.readlink(path.join(spank.installDir, "current"))).toMatch(/^slurm-22\.05-/);
    expect(back.report.restarted).toEqual(["slurmd.service"]);
    const srun = slurmCmd(["srun", `--singularity-container=${image}`, "true"]);
    expect(srun.code, srun.err).toBe(0);
  });
});
