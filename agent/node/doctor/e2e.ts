import { defaultImage } from "../../components/index.js";
import type { Root } from "../../nodefs/root.js";
import type { CommandRunner } from "../../engine/runner.js";
import type { Partition, SiteConfig } from "../../site/types.js";
import { fail, ok, skipped, type Check, type CheckOutcome } from "../../doctor/checks.js";
import { slurmArgv, slurmEnv } from "../../doctor/slurm.js";

/** A cloud node may have to power up first: ParallelCluster's dynamic nodes take minutes. */
export const E2E_TIMEOUT_S = 600;

export interface E2eJob {
  partition: string;
  /** What the job proves: "container", "gpu", "host". */
  kind: "container" | "gpu" | "host";
  argv: string[];
  jobName: string;
}

/**
 * One tiny job per partition: `nvidia-smi -L` on a GPU partition, else `true` in the default image
 * when containers are on (through the SPANK plugin's --singularity-container), else `hostname` on the host.
 */
export function e2eJob(site: SiteConfig, p: Partition, runId: string): E2eJob {
  const jobName = `pwb-doctor-${runId}-${p.name}`;
  const base = ["--partition", p.name, "--nodes=1", "--ntasks=1", "--time=5", `--job-name=${jobName}`];
  const image = site.containers.enabled && site.spank ? defaultImage(site) : null;
  if (p.gpus) return { partition: p.name, kind: "gpu", jobName, argv: slurmArgv(site, "srun", ...base, "--gpus=1", "nvidia-smi", "-L") };
  if (image) return { partition: p.name, kind: "container", jobName, argv: slurmArgv(site, "srun", ...base, `--singularity-container=${image}`, "true") };
  return { partition: p.name, kind: "host", jobName, argv: slurmArgv(site, "srun", ...base, "hostname") };
}

const tail = (s: string) => s.trim().split("\n").slice(-2).join(" | ").slice(0, 240);

async function runJob(runner: CommandRunner, site: SiteConfig, job: E2eJob, timeoutS: number): Promise<CheckOutcome> {
  const started = Date.now();
  const res = await runner.run(job.argv, { env: slurmEnv(site), timeoutMs: timeoutS * 1000 });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (res.stderr.includes("killed by SIGKILL")) {
    // srun was stopped; its job may still be queued: cancel it rather than leave it to run later.
    await runner.run(slurmArgv(site, "scancel", `--name=${job.jobName}`), { env: slurmEnv(site), timeoutMs: 10_000, mutates: true });
    return fail(`${job.kind} job did not finish within ${timeoutS} s (cancelled)`, `sinfo -p ${job.partition}; squeue -p ${job.partition}: are nodes powering up, down or drained?`);
  }
  if (res.code !== 0) {
    return fail(`${job.kind} job failed (exit ${res.code}) after ${secs} s: ${tail(res.stderr) || tail(res.stdout)}`, `run it by hand: ${job.argv.join(" ")}`);
  }
  if (job.kind === "gpu" && !/^GPU \d+:/m.test(res.stdout)) return fail(`nvidia-smi ran but listed no GPU: ${tail(res.stdout)}`, "check the partition's GPU nodes: driver (pwb-agent doctor on one), gres.conf");
  return ok(`${job.kind} job ran in ${secs} s: ${tail(res.stdout) || "exit 0"}`);
}

/** Head node, `doctor --e2e`: a job per partition through the real scheduler. Not on a simulated root. */
export function e2eChecks(root: Root, runner: CommandRunner, site: SiteConfig, o: { timeoutS?: number; runId?: string } = {}): Check[] {
  const timeoutS = o.timeoutS ?? E2E_TIMEOUT_S;
  const runId = o.runId ?? String(process.pid);
  return site.slurm.partitions.map((p) => {
    const job = e2eJob(site, p, runId);
    return {
      id: `e2e.${p.name}`,
      name: `e2e ${p.name}`,
      timeoutMs: (timeoutS + 15) * 1000,
      run: async () => (root.live ? runJob(runner, site, job, timeoutS) : skipped("simulated root: no job submitted (jobs run on the cluster, not this machine)")),
    };
  });
}
