import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherSpank } from "../../agent/components/spank/gather.js";
import { spankResources } from "../../agent/components/spank/plan.js";
import { runChecks, type CheckResult } from "../../agent/doctor/checks.js";
import { e2eChecks, e2eJob } from "../../agent/node/doctor/e2e.js";
import { checksFor, type DoctorEnv } from "../../agent/node/doctor/role-checks.js";
import { Accounts } from "../../agent/nodefs/accounts.js";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import { SpawnRunner, type CommandRunner, type RunResult } from "../../agent/engine/runner.js";
import type { EngineContext } from "../../agent/engine/types.js";
import type { Role } from "../../agent/facts/types.js";
import { silentLogger } from "../../agent/log.js";
import { parseSiteText } from "../../agent/site/load.js";
import type { SiteConfig } from "../../agent/site/types.js";
import { tempDir } from "../helpers/engine.js";
import { hostOs, NVIDIA_A10G, nodeFacts } from "../helpers/node-facts.js";
import { LoopbackSlurm, spankWorkDir } from "../helpers/slurm.js";
import { slurmStateMetrics } from "../../agent/metrics/slurm.js";
import { jobcompScript } from "../../agent/components/logs/jobcomp.js";
import { promtoolProblems, samples } from "../helpers/promtool.js";

/*
 * doctor's head and compute checks, and `doctor --e2e`, against a real Slurm (slurm-wlm + munge on
 * loopback) with the SPANK plugin built from our test fixture and registered by the real component.
 * The node is this machine (root "/"); the site points Slurm's bin path and slurm.conf at the
 * loopback cluster. Apptainer cannot be installed here: a stand-in on PATH answers `--version` and
 * records the argv of every other call, so the tests assert what a job really ran; nvidia-smi is a
 * stand-in too (no GPU here). The real slurmctld also runs the job completion script.
 */

let work = "";
let slurm: LoopbackSlurm | undefined;
let server: http.Server | undefined;
let site: SiteConfig;
let image = "";
let argvLog = "";
let jobRecords = "";
const slurmEtc = () => path.join(work, "slurm", "etc");
const log = silentLogger();
const root = new Root("/");

/** The real runner, with the stand-in's directory first on PATH (srun hands PATH on to the job). */
function standInRunner(): CommandRunner {
  const real = new SpawnRunner(log, false);
  return {
    deferred: [],
    run: (argv, opts = {}) => real.run(argv, { ...opts, env: { ...opts.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, STANDIN_ARGV_LOG: argvLog } }),
  };
}

function doctorEnv(role: Role, s: SiteConfig = site, gpu = false): DoctorEnv {
  return { root, runner: standInRunner(), facts: nodeFacts(role, hostOs(), gpu ? NVIDIA_A10G : null), site: s, siteSource: "test", planChanges: async () => [] };
}

/** Runs the role's checks with these ids, by id. */
async function doctor(role: Role, ids: string[], s: SiteConfig = site): Promise<Record<string, CheckResult>> {
  const checks = checksFor(doctorEnv(role, s)).filter((c) => ids.includes(c.id));
  expect(checks.map((c) => c.id).sort()).toEqual([...ids].sort());
  return Object.fromEntries((await runChecks(checks, 30_000)).map((r) => [r.id, r]));
}

/** What the spank component does on a node of this role (the engine applies it for real). */
async function converge(role: Role): Promise<void> {
  const real = new SpawnRunner(log, false);
  let slurmdInvocation = 0;
  const runner: CommandRunner = {
    deferred: [],
    async run(argv, opts): Promise<RunResult> {
      if (argv[0] === "systemctl") {
          // slurmd runs outside systemd here: the engine's state queries see it running, a new invocation per restart.
          if (argv[1] === "show") return { argv, code: 0, stdout: argv.includes("--value") ? `slurmd-${slurmdInvocation}\n` : `LoadState=loaded\nActiveState=active\nInvocationID=slurmd-${slurmdInvocation}\n`, stderr: "", durationMs: 0, deferred: false };
      }
      if (argv[0] === "systemctl" && argv[1] === "try-restart" && argv[2] === "slurmd.service") {
        slurmdInvocation++;
        await slurm!.restartSlurmd();
        return { argv, code: 0, stdout: "", stderr: "", durationMs: 0, deferred: false };
      }
      if (argv[0] === "systemctl") throw new Error(`unexpected systemctl call: ${argv.join(" ")}`);
      return real.run(argv, opts);
    },
  };
  const ctx: EngineContext = { root, runner, log, accounts: new Accounts(root), osFamily: "debian", diffs: false, stats: { filesWritten: 0, bytesWritten: 0, commandsRun: 0 } };
  const facts = nodeFacts(role, hostOs());
  const inputs = await gatherSpank(root, role, site.spank!, slurmEtc());
  const resources = spankResources(facts, site.spank!, { slurmEtc: slurmEtc(), containersBind: site.containers.bind }, inputs);
  await apply(await plan(resources, ctx), resources, ctx);
}

async function recordedArgv(): Promise<string[]> {
  return (await fs.readFile(argvLog, "utf8")).split("\n").slice(0, -1);
}

function siteYaml(o: { conf?: string; partitions?: string } = {}): string {
  return [
    "workbench: { version: 2024.12.1+563.pro5, url: https://workbench.example.com }",
    "database: { host: 127.0.0.1, password: { file: /etc/pwb-agent/database-password } }",
    "slurm:",
    "  binPath: /usr/bin",
    `  conf: ${o.conf ?? path.join(slurmEtc(), "slurm.conf")}`,
    `  partitions: ${o.partitions ?? "[{ name: debug, cpus: 2, memoryMiB: 1024 }, { name: nosuch, cpus: 2, memoryMiB: 1024 }]"}`,
    "containers: { enabled: true, bind: [/opt/slurm/etc] }",
    "apptainer: { source: epel, version: 1.4.5-1.el9 }",
    "spank:",
    `  source: { url: "${siteYaml.url}", sha256: ${siteYaml.sha256} }`,
    `  slurmInclude: ${path.join(work, "slurm", "include")}`,
    `  installDir: ${path.join(work, "install")}`,
    `  workDir: ${path.join(work, "work")}`,
    `  defaultImage: ${image}`,
  ].join("\n");
}
siteYaml.url = "";
siteYaml.sha256 = "";

beforeAll(async () => {
  let body: Buffer;
  ({ work, archive: body } = await spankWorkDir(tempDir, "pwb-doctor-slurm-"));
  server = http.createServer((_req, res) => void res.writeHead(200, { "content-type": "application/gzip" }).end(body));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  siteYaml.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slurm-singularity-exec-1.0.0.tar.gz`;
  siteYaml.sha256 = createHash("sha256").update(body).digest("hex");

  // Apptainer stand-in: `--version` answers like apptainer; anything else records its argv, one per line.
  await fs.mkdir(path.join(work, "bin"));
  argvLog = path.join(work, "apptainer-argv");
  await fs.writeFile(
    path.join(work, "bin", "apptainer"),
    '#!/bin/sh\nif [ "$1" = --version ]; then echo "apptainer version 1.4.5-standin"; exit 0; fi\n' +
      'for a in "$@"; do printf \'%s\\n\' "$a"; done > "$STANDIN_ARGV_LOG.tmp"\nmv "$STANDIN_ARGV_LOG.tmp" "$STANDIN_ARGV_LOG"\necho "apptainer stand-in ran"\n',
    { mode: 0o755 },
  );
  image = path.join(work, "images", "r-session.sif");
  await fs.mkdir(path.dirname(image));
  await fs.writeFile(image, "not a real SIF image\n");

  // Job completion records as the head node renders them (site telemetry.jobCompletion): the real slurmctld runs the script.
  jobRecords = path.join(work, "jobs", "jobcomp.jsonl");
  await fs.mkdir(path.dirname(jobRecords));
  const jobcomp = path.join(work, "jobcomp.sh");
  await fs.writeFile(jobcomp, jobcompScript(jobRecords), { mode: 0o755 });
  slurm = await LoopbackSlurm.start({ dir: path.join(work, "slurm"), plugstack: path.join(slurmEtc(), "plugstack.conf"), jobComp: { type: "jobcomp/script", loc: jobcomp } });
  await fs.writeFile(path.join(slurmEtc(), "plugstack.conf"), "# site plugins\n");
  site = parseSiteText(siteYaml(), "site.yaml");
}, 60_000);

afterAll(async () => {
  await slurm?.stop();
  server?.closeAllConnections();
  server?.close();
});

describe("doctor against a real Slurm (loopback)", () => {
  it("before the plugin is built and registered: the head sees slurmctld up but no registration; the compute node no wrapper", async () => {
    const head = await doctor("head", ["slurm.ctld", "spank.registration", "spank.plugin"]);
    expect(head["slurm.ctld"]).toMatchObject({ status: "ok" });
    expect(head["slurm.ctld"]!.detail).toMatch(/^Slurmctld\(primary\) at \S+ is UP$/);
    expect(head["spank.registration"]).toMatchObject({ status: "fail", detail: `${slurmEtc()}/plugstack.conf has no include line that loads ${slurmEtc()}/plugstack.conf.d/singularity-exec.conf`, fix: "run `pwb-agent apply` on the head node" });
    expect(head["spank.plugin"]).toMatchObject({ status: "fail", detail: `${work}/install/current/libexec/slurm-singularity-exec.so is missing or not a shared library` });
    const compute = await doctor("compute", ["spank.wrapper", "apptainer.version", "apptainer.exec"]);
    expect(compute["spank.wrapper"]).toMatchObject({ status: "fail", detail: `not an executable file: ${work}/install/node-wrapper.sh, ${work}/install/current/libexec/slurm-singularity-wrapper.sh` });
    expect(compute["apptainer.version"]).toMatchObject({ status: "ok", detail: "apptainer version 1.4.5-standin" });
  }, 60_000);

  it("after compute + head applies: registration present, plugin loaded by srun, wrapper in place, image runs", async () => {
    await converge("compute");
    await converge("head");
    const head = await doctor("head", ["slurm.ctld", "spank.registration", "spank.plugin"]);
    expect(Object.fromEntries(Object.entries(head).map(([id, r]) => [id, r.status]))).toEqual({ "slurm.ctld": "ok", "spank.registration": "ok", "spank.plugin": "ok" });
    expect(head["spank.plugin"]!.detail).toBe(`srun --help lists --singularity-container (${work}/install/current/libexec/slurm-singularity-exec.so loaded)`);

    await fs.rm(argvLog, { force: true });
    const compute = await doctor("compute", ["spank.wrapper", "apptainer.exec"]);
    expect(compute["spank.wrapper"]).toMatchObject({ status: "ok", detail: `${work}/install/node-wrapper.sh → ${work}/install/current/libexec/slurm-singularity-wrapper.sh` });
    expect(compute["apptainer.exec"]).toMatchObject({ status: "ok", detail: `apptainer exec ${image} true: exit 0` });
    expect(await recordedArgv()).toEqual(["exec", image, "true"]);
  }, 180_000);

  it("doctor --e2e: a container job per partition through the real scheduler; an unknown partition fails with Slurm's reason", async () => {
    await fs.rm(argvLog, { force: true });
    const results = Object.fromEntries((await runChecks(e2eChecks(root, standInRunner(), site, { timeoutS: 60, runId: "t1" }))).map((r) => [r.id, r]));
    expect(Object.keys(results)).toEqual(["e2e.debug", "e2e.nosuch"]);
    expect(results["e2e.debug"]).toMatchObject({ status: "ok" });
    expect(results["e2e.debug"]!.detail).toMatch(/^container job ran in [\d.]+ s: apptainer stand-in ran$/);
    // The job went through the plugin's wrapper into the default image.
    const argv = await recordedArgv();
    expect(argv[0]).toBe("exec");
    expect(argv.slice(-2)).toEqual([image, "true"]);
    expect(results["e2e.nosuch"]).toMatchObject({ status: "fail" });
    expect(results["e2e.nosuch"]!.detail).toMatch(/^container job failed \(exit 1\) after [\d.]+ s: .*[Ii]nvalid partition/);
    expect(results["e2e.nosuch"]!.fix).toContain("--partition nosuch");

    // The finished job reached the job completion records as one JSON line (slurmctld runs the script after the job ends).
    const deadline = Date.now() + 15_000;
    let records: Array<Record<string, string>> = [];
    while (Date.now() < deadline) {
      const text = await fs.readFile(jobRecords, "utf8").catch(() => "");
      records = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
      if (records.some((r) => r.jobname === "pwb-doctor-t1-debug")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(records.find((r) => r.jobname === "pwb-doctor-t1-debug")).toMatchObject({ record: "slurm-job", jobstate: "COMPLETED", partition: "debug", uid: "0" });
  }, 120_000);

  it("a controller that does not answer fails slurm.ctld with what scontrol said and where to look", async () => {
    const conf = await fs.readFile(path.join(slurmEtc(), "slurm.conf"), "utf8");
    const elsewhere = path.join(work, "other-etc", "slurm.conf");
    await fs.mkdir(path.dirname(elsewhere), { recursive: true });
    await fs.writeFile(elsewhere, conf.replace(/^SlurmctldPort=\d+$/m, "SlurmctldPort=1"));
    const down = parseSiteText(siteYaml({ conf: elsewhere }), "site.yaml");
    const r = await doctor("head", ["slurm.ctld"], down);
    expect(r["slurm.ctld"]).toMatchObject({ status: "fail" });
    expect(r["slurm.ctld"]!.detail).toMatch(/^Slurmctld\(primary\) at \S+ is DOWN$/);
    expect(r["slurm.ctld"]!.fix).toContain(`SLURM_CONF=${elsewhere}`);
  }, 60_000);

  it("GPU compute node: nvidia-smi (a stand-in on PATH) must list as many GPUs as the PCI bus showed", async () => {
    await fs.writeFile(path.join(work, "bin", "nvidia-smi"), '#!/bin/sh\n[ "$1" = -L ] || exit 9\necho "GPU 0: NVIDIA A10G (UUID: GPU-5c1f0000-0000-0000-0000-000000000000)"\n', { mode: 0o755 });
    const run = async (count: number) => {
      const env = doctorEnv("compute", site, true);
      env.facts = { ...env.facts, gpu: { ...env.facts.gpu!, count } };
      const [r] = await runChecks(checksFor(env).filter((c) => c.id === "gpu.nvidia-smi"));
      return r!;
    };
    expect(await run(1)).toMatchObject({ status: "ok", detail: "1 GPU(s): GPU 0: NVIDIA A10G (UUID: GPU-5c1f0000-0000-0000-0000-000000000000)" });
    const lost = await run(2);
    expect(lost).toMatchObject({ status: "fail", detail: "nvidia-smi lists 1 GPU(s); the PCI bus has 2" });
    expect(lost.fix).toContain("drain the node");
  });

  it("the head's Slurm metrics: node and job states from sinfo/squeue, valid for promtool", async () => {
    const held = spawnSync("sbatch", ["--parsable", "--hold", "-o", "/dev/null", "--wrap", "true"], { env: slurm!.env(), encoding: "utf8" });
    expect(held.status, held.stderr).toBe(0);
    try {
      const text = (await slurmStateMetrics(standInRunner(), site, 1_700_000_000_000)).toString();
      expect(promtoolProblems(text)).toBe("");
      expect(samples(text, "pwb_slurm_up")).toEqual({ "": 1 });
      expect(samples(text, "pwb_slurm_nodes")).toEqual({ '{partition="debug",state="idle"}': 1 });
      expect(samples(text, "pwb_slurm_jobs")).toEqual({ '{partition="debug",state="pending"}': 1 });
    } finally {
      spawnSync("scancel", [held.stdout.trim()], { env: slurm!.env() });
    }
    const down = (await slurmStateMetrics(standInRunner(), { ...site, slurm: { ...site.slurm, binPath: "/nonexistent" } }, 0)).toString();
    expect(samples(down, "pwb_slurm_up")).toEqual({ "": 0 });
    expect(down).not.toContain("pwb_slurm_nodes");
  }, 60_000);

  it("e2e jobs: nvidia-smi on a GPU partition, a container where containers are on, the host otherwise", () => {
    const gpuSite = parseSiteText(siteYaml({ partitions: "[{ name: gpu, instanceType: g5.xlarge }, { name: cpu, cpus: 2, memoryMiB: 1024 }]" }), "site.yaml");
    const [gpu, cpu] = gpuSite.slurm.partitions;
    expect(e2eJob(gpuSite, gpu!, "7")).toEqual({
      partition: "gpu",
      kind: "gpu",
      jobName: "pwb-doctor-7-gpu",
      argv: ["/usr/bin/srun", "--partition", "gpu", "--nodes=1", "--ntasks=1", "--time=5", "--job-name=pwb-doctor-7-gpu", "--gpus=1", "nvidia-smi", "-L"],
    });
    expect(e2eJob(gpuSite, cpu!, "7").argv.slice(-2)).toEqual([`--singularity-container=${image}`, "true"]);
    const noContainers = { ...gpuSite, containers: { ...gpuSite.containers, enabled: false } };
    expect(e2eJob(noContainers, cpu!, "7")).toMatchObject({ kind: "host", argv: ["/usr/bin/srun", "--partition", "cpu", "--nodes=1", "--ntasks=1", "--time=5", "--job-name=pwb-doctor-7-cpu", "hostname"] });
  });
});
