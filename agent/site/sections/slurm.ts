import { array, boolean, enum as oneOf, number, strictObject, type output, type RefinementCtx } from "zod";
import { absolutePath, expected, name, posixName, slurmName } from "../fields.js";
import { instanceShape } from "../instance-types.js";

/*
 * slurm: — the ParallelCluster queues (Slurm partitions) Workbench may use, and the launcher clusters
 * that offer them (required: at least one partition).
 *
 *   slurm:
 *     binPath: /opt/slurm/bin
 *     conf: /opt/slurm/etc/slurm.conf       # passed to sessions as SLURM_CONF
 *     serviceUser: slurm
 *     partitions:                           # required
 *       - name: interactive
 *         instanceType: m6i.xlarge          # sizes resource profiles; or cpus + memoryMiB (these win)
 *         cpus: 4
 *         memoryMiB: 16384
 *         gpus: { count: 1, type: a10g }    # default from the instance type; type: Slurm's GRES type
 *         sessions: true
 *         jobs: true
 *     clusters:                             # default: slurminteractive (use: sessions) over the
 *       - name: slurminteractive            # partitions with sessions: true, slurmbatch (use: jobs)
 *         use: sessions                     # over those with jobs: true
 *         partitions: [interactive]         # default: the partitions offering this use
 *         defaultPartition: interactive     # default: the first that serves only this use, else the first
 */

/** Launcher clusters when the site lists none: one for sessions, one for Workbench jobs (the seeds' pair). */
export const DEFAULT_SESSIONS_CLUSTER = "slurminteractive";
export const DEFAULT_JOBS_CLUSTER = "slurmbatch";

const partitionSchema = strictObject({
  name: slurmName,
  instanceType: name("an EC2 instance type like m6i.xlarge", /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, 40).optional(),
  cpus: number(expected("a number of vCPUs")).int(expected("a whole number of vCPUs")).min(1, expected("at least 1 vCPU")).optional(),
  memoryMiB: number(expected("memory in MiB")).int(expected("a whole number of MiB")).min(512, expected("at least 512 MiB")).optional(),
  gpus: strictObject({
      count: number(expected("a number of GPUs")).int(expected("a whole number of GPUs")).min(1, expected("at least 1 GPU")),
      type: name("a Slurm GRES type name", /^[A-Za-z0-9_.-]+$/, 40).optional(),
    })
    .optional(),
  sessions: boolean(expected("true or false")).default(true),
  jobs: boolean(expected("true or false")).default(true),
});

const clusterSchema = strictObject({
  name: slurmName,
  use: oneOf(["sessions", "jobs", "both"], expected('one of "sessions", "jobs", "both"')),
  partitions: array(slurmName, expected("a list of partition names")).min(1, expected("at least one partition")).optional(),
  defaultPartition: slurmName.optional(),
});

type SlurmInput = output<typeof slurmFields>;
type PartitionInput = SlurmInput["partitions"][number];

const slurmFields = strictObject({
  binPath: absolutePath.default("/opt/slurm/bin"),
  conf: absolutePath.default("/opt/slurm/etc/slurm.conf"),
  serviceUser: posixName.default("slurm"),
  partitions: array(partitionSchema, expected("a list of Slurm partitions (ParallelCluster queues)")).min(1, expected("at least one partition")),
  clusters: array(clusterSchema, expected("a list of launcher clusters")).min(1, expected("at least one cluster")).optional(),
});

export const slurmSection = slurmFields.superRefine(checkReferences).transform((s) => {
  const partitions = s.partitions.map(sized);
  return { binPath: s.binPath, conf: s.conf, serviceUser: s.serviceUser, partitions, clusters: launcherClusters(s.clusters, partitions) };
});

export type SlurmSite = output<typeof slurmSection>;
export type Partition = SlurmSite["partitions"][number];
export type LauncherCluster = SlurmSite["clusters"][number];
export type LauncherUse = LauncherCluster["use"];

/** Whether a partition serves a launcher cluster of this use (its `sessions:` / `jobs:` flags). */
const offers = (p: { sessions: boolean; jobs: boolean }, use: ClusterInput["use"]) => (use === "jobs" ? p.jobs : use === "sessions" ? p.sessions : true);

/** Names unique, every reference to a partition resolvable, every partition sizeable, something offering sessions. */
function checkReferences(s: SlurmInput, ctx: RefinementCtx<SlurmInput>): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const names = new Set<string>();
  s.partitions.forEach((p, i) => {
    if (names.has(p.name)) issue(["partitions", i, "name"], `expected a unique partition name; "${p.name}" is listed twice`);
    names.add(p.name);
    if (p.instanceType !== undefined && instanceShape(p.instanceType) === null && (p.cpus === undefined || p.memoryMiB === undefined)) {
      issue(["partitions", i, "instanceType"], `expected an instance type pwb-agent knows, or cpus and memoryMiB next to it: "${p.instanceType}" is not in its table`);
    }
    if (p.instanceType === undefined && (p.cpus === undefined || p.memoryMiB === undefined)) {
      issue(["partitions", i], "expected instanceType, or both cpus and memoryMiB, to size resource profiles");
    }
  });

  const clusters = s.clusters ?? [];
  const clusterNames = new Set<string>();
  clusters.forEach((c, i) => {
    if (clusterNames.has(c.name)) issue(["clusters", i, "name"], `expected a unique cluster name; "${c.name}" is listed twice`);
    clusterNames.add(c.name);
    (c.partitions ?? []).forEach((p, j) => {
      if (!names.has(p)) issue(["clusters", i, "partitions", j], `expected one of the partitions in slurm.partitions (${[...names].join(", ")}); got "${p}"`);
    });
    // Listed, or else every partition that offers this cluster's use: what the cluster will offer.
    const offered = c.partitions ?? s.partitions.filter((p) => offers(p, c.use)).map((p) => p.name);
    if (offered.length === 0) {
      issue(["clusters", i, "use"], `expected a use some partition offers: no partition has ${c.use}: true (set it on one, or list this cluster's partitions)`);
    } else if (c.defaultPartition !== undefined && !offered.includes(c.defaultPartition)) {
      issue(["clusters", i, "defaultPartition"], `expected one of this cluster's partitions (${offered.join(", ")})`);
    }
  });
  if (clusters.length && !clusters.some((c) => c.use !== "jobs")) {
    issue(["clusters"], 'expected at least one cluster with use "sessions" or "both"');
  }
  if (!clusters.length && !s.partitions.some((p) => p.sessions)) {
    issue(["partitions"], "expected at least one partition with sessions: true");
  }
}

/**
 * CPUs, memory and GPUs from the instance table where the site leaves them out. checkReferences has
 * refused a partition that neither sizes (a failed check stops the transform): the `?? 0` is never used.
 */
function sized(q: PartitionInput) {
  const shape = q.instanceType ? instanceShape(q.instanceType) : null;
  const gpuCount = q.gpus?.count ?? shape?.gpus ?? 0;
  return {
    name: q.name,
    instanceType: q.instanceType ?? null,
    cpus: q.cpus ?? shape?.cpus ?? 0,
    memoryMiB: q.memoryMiB ?? shape?.memoryMiB ?? 0,
    gpus: gpuCount > 0 ? { count: gpuCount, type: q.gpus?.type ?? null } : null,
    sessions: q.sessions,
    jobs: q.jobs,
  };
}

type SizedPartition = ReturnType<typeof sized>;
type ClusterInput = NonNullable<SlurmInput["clusters"]>[number];

/** The site's clusters with their partitions filled in, or the default pair. */
function launcherClusters(listed: ClusterInput[] | undefined, partitions: SizedPartition[]) {
  const offering = (use: ClusterInput["use"]) => partitions.filter((q) => offers(q, use)).map((q) => q.name);
  // checkReferences has refused a listed cluster that would offer nothing; the default pair offers sessions (checked) and jobs only when some partition does.
  // Default partition: the first that serves only this cluster's use (a jobs cluster's batch
  // partition, not an interactive one that also takes jobs), else the first offered.
  const dedicated = (use: ClusterInput["use"], offered: string[]) =>
    use === "both" ? undefined : offered.find((n) => partitions.some((q) => q.name === n && (use === "jobs" ? !q.sessions : !q.jobs)));
  const cluster = (name: string, use: ClusterInput["use"], offered: string[], defaultPartition?: string) => ({
    name,
    use,
    partitions: offered,
    defaultPartition: defaultPartition ?? dedicated(use, offered) ?? offered[0]!,
  });
  if (listed) return listed.map((c) => cluster(c.name, c.use, c.partitions ?? offering(c.use), c.defaultPartition));
  const defaults = [cluster(DEFAULT_SESSIONS_CLUSTER, "sessions", offering("sessions"))];
  const jobs = offering("jobs");
  if (jobs.length) defaults.push(cluster(DEFAULT_JOBS_CLUSTER, "jobs", jobs));
  return defaults;
}
