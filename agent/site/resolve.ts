import path from "node:path";
import { instanceShape } from "./instance-types.js";
import type { SiteParsed } from "./schema.js";
import { resolveApptainer } from "./sections/apptainer.js";
import { resolveCuda } from "./sections/cuda.js";
import { resolveImages } from "./sections/images.js";
import { resolveChecksums } from "./sections/checksums.js";
import { resolveSpank } from "./sections/spank.js";
import { METRICS_SINCE, resolveTelemetry } from "./sections/telemetry.js";
import { atLeast, parseWorkbenchVersion } from "./version.js";
import type { LauncherCluster, Partition, ResourceProfile, SiteConfig } from "./types.js";

/** Launcher clusters when the site lists none: one for sessions, one for Workbench jobs (the seeds' pair). */
export const DEFAULT_SESSIONS_CLUSTER = "slurminteractive";
export const DEFAULT_JOBS_CLUSTER = "slurmbatch";

/** Fills what the schema leaves to derivation: sizes from instance types, clusters, paths. */
export function resolveSite(p: SiteParsed, source: string, text: string): SiteConfig {
  const partitions: Partition[] = p.slurm.partitions.map((q) => {
    const shape = q.instanceType ? instanceShape(q.instanceType) : null;
    const gpuCount = q.gpus?.count ?? shape?.gpus ?? 0;
    return {
      name: q.name,
      instanceType: q.instanceType ?? null,
      cpus: q.cpus ?? shape!.cpus,
      memoryMiB: q.memoryMiB ?? shape!.memoryMiB,
      gpus: gpuCount > 0 ? { count: gpuCount, type: q.gpus?.type ?? null } : null,
      sessions: q.sessions,
      jobs: q.jobs,
    };
  });

  const clusters: LauncherCluster[] = p.slurm.clusters
    ? p.slurm.clusters.map((c) => {
        const offered = c.partitions ?? partitions.filter((q) => (c.use === "jobs" ? q.jobs : c.use === "sessions" ? q.sessions : true)).map((q) => q.name);
        return { name: c.name, use: c.use, partitions: offered, defaultPartition: c.defaultPartition ?? offered[0]! };
      })
    : defaultClusters(partitions);

  const profiles: ResourceProfile[] | null = p.profiles
    ? p.profiles.map((r) => ({ id: r.id, label: r.label ?? `${r.id} (${r.cpus} CPU, ${formatGiB(r.memoryMiB)})`, cpus: r.cpus, memoryMiB: r.memoryMiB }))
    : null;

  const stringify = (rec: Record<string, string | number | boolean>) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, typeof v === "boolean" ? (v ? "1" : "0") : String(v)]));

  const workbenchDir = p.storage.workbench;
  return {
    source,
    text,
    workbench: { ...p.workbench, url: p.workbench.url.replace(/\/+$/, ""), rserver: stringify(p.workbench.rserver), launcherEnv: stringify(p.workbench.launcherEnv) },
    storage: {
      workbench: workbenchDir,
      home: p.storage.home,
      // On the home file system (FSx): project sharing needs POSIX ACLs, which EFS does not offer.
      sharedStoragePath: p.storage.sharedStoragePath ?? path.posix.join(p.storage.home, "rstudio-shared-storage"),
      configDir: path.posix.join(workbenchDir, "etc/rstudio"),
      dataDir: path.posix.join(workbenchDir, "shared-data"),
    },
    database: { ...p.database },
    alb: p.alb ? { ...p.alb } : null,
    slurm: { binPath: p.slurm.binPath, conf: p.slurm.conf, serviceUser: p.slurm.serviceUser, partitions, clusters },
    profiles,
    containers: {
      enabled: p.containers.enabled,
      imageDirectory: p.containers.imageDirectory ?? path.posix.join(workbenchDir, "container"),
      bind: p.containers.bind,
    },
    runtimes: {
      r: { versions: p.runtimes.r.versions, default: p.runtimes.r.default ?? null },
      python: { versions: p.runtimes.python.versions, default: p.runtimes.python.default ?? null },
      quarto: { versions: p.runtimes.quarto.versions, default: p.runtimes.quarto.default ?? null },
    },
    mirror: p.mirror ? { url: p.mirror.url } : null,
    apptainer: resolveApptainer(p.apptainer),
    spank: resolveSpank(p.spank),
    cuda: resolveCuda(p.cuda),
    images: resolveImages(p.images),
    checksums: resolveChecksums(p.checksums),
    telemetry: resolveTelemetry(p.telemetry, atLeast(parseWorkbenchVersion(p.workbench.version)!, METRICS_SINCE)),
  };
}

function defaultClusters(partitions: Partition[]): LauncherCluster[] {
  const sessions = partitions.filter((q) => q.sessions).map((q) => q.name);
  const jobs = partitions.filter((q) => q.jobs).map((q) => q.name);
  const clusters: LauncherCluster[] = [{ name: DEFAULT_SESSIONS_CLUSTER, use: "sessions", partitions: sessions, defaultPartition: sessions[0]! }];
  if (jobs.length) clusters.push({ name: DEFAULT_JOBS_CLUSTER, use: "jobs", partitions: jobs, defaultPartition: jobs[0]! });
  return clusters;
}

export function formatGiB(mib: number): string {
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}
