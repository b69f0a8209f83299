// The cluster's job and node states as the head node's Slurm sees them, for the dashboard's Slurm
// panels: written by doctor on the live head node (squeue/sinfo through the site's Slurm bin path).
import type { CommandRunner } from "../engine/runner.js";
import type { SiteConfig } from "../site/types.js";
import { slurmArgv, slurmEnv } from "../doctor/slurm.js";
import { MetricsText } from "./textfile.js";

export const SLURM_TEXTFILE = "pwb_slurm.prom";

/** `sinfo -h -o '%R|%T|%D'`: partition, node state (idle, idle~, mixed, allocated, down*, drained…), count. */
export function parseSinfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [partition, state, count] = line.trim().split("|");
    if (!partition || !state || !count || !/^\d+$/.test(count)) continue;
    // The state as Slurm prints it, flags included: on a cloud cluster idle~ (powered down) and idle#
    // (powering up) are what an operator needs to tell apart from idle.
    const key = `${partition}\u0000${state}`;
    out.set(key, (out.get(key) ?? 0) + Number(count));
  }
  return out;
}

/** `squeue -h -o '%P|%T'`: one line per job, partition and state (PENDING, RUNNING, …). */
export function parseSqueue(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [partition, state] = line.trim().split("|");
    if (!partition || !state) continue;
    // A job pending for several partitions lists them comma-separated: count it under each.
    for (const p of partition.split(",")) {
      const key = `${p}\u0000${state.toLowerCase()}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

const samples = (m: Map<string, number>) =>
  [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => {
    const [partition, state] = k.split("\u0000") as [string, string];
    return [{ partition, state }, v] as const;
  });

/** Reads both and renders them; a command that fails leaves its series out and says so in `pwb_slurm_up`. */
export async function slurmStateMetrics(runner: CommandRunner, site: SiteConfig, at: number): Promise<MetricsText> {
  const opts = { env: slurmEnv(site), timeoutMs: 15_000 };
  const [sinfo, squeue] = await Promise.all([
    runner.run(slurmArgv(site, "sinfo", "-h", "-o", "%R|%T|%D"), opts),
    runner.run(slurmArgv(site, "squeue", "-h", "-o", "%P|%T"), opts),
  ]);
  const m = new MetricsText();
  m.gauge("pwb_slurm_up", "1 when sinfo and squeue answered on the head node.", sinfo.code === 0 && squeue.code === 0 ? 1 : 0);
  m.gauge("pwb_slurm_scrape_timestamp_seconds", "When the head node last read Slurm's state.", at / 1000);
  if (sinfo.code === 0) m.gauge("pwb_slurm_nodes", "Slurm nodes by partition and state (sinfo).", samples(parseSinfo(sinfo.stdout)));
  if (squeue.code === 0) m.gauge("pwb_slurm_jobs", "Slurm jobs by partition and state (squeue).", samples(parseSqueue(squeue.stdout)));
  return m;
}
