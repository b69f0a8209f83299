import { formatGiB } from "../../../site/sections/profiles.js";
import { schedulableMiB } from "../../../site/instance-types.js";
import type { LauncherCluster, Partition, ResourceProfile, SiteConfig } from "../../../site/types.js";
import type { Features } from "../features.js";
import { sectionedFile, MANAGED_HEADER, type Entry, type Section } from "../config/ini-write.js";
import { profilesConf, resourcesConf } from "../paths.js";
import { plainFile, type SharedFile } from "../config/file.js";

const MIB_STEP = 256;
const SIZES = [
  { id: "small", label: "Small", fraction: 0.25 },
  { id: "medium", label: "Medium", fraction: 0.5 },
  { id: "large", label: "Large", fraction: 1 },
];

function clusterPartitions(site: SiteConfig, cluster: LauncherCluster): Partition[] {
  return site.slurm.partitions.filter((p) => cluster.partitions.includes(p.name));
}

/**
 * Resource profiles for a cluster: the site's own, or a quarter, half and whole of the smallest node
 * the cluster offers (fewest CPUs, least memory: every profile fits on every partition), memory with
 * headroom for the OS and slurmd, rounded down to 256 MiB.
 */
export function profilesFor(site: SiteConfig, cluster: LauncherCluster): ResourceProfile[] {
  if (site.profiles) return site.profiles;
  const parts = clusterPartitions(site, cluster);
  // The smallest node in both dimensions: a profile must fit on every partition the cluster offers.
  const baseCpus = Math.min(...parts.map((p) => p.cpus));
  const usable = Math.min(...parts.map((p) => schedulableMiB(p.memoryMiB)));
  const out: ResourceProfile[] = [];
  for (const size of SIZES) {
    const cpus = Math.max(1, Math.floor(baseCpus * size.fraction));
    if (out.some((p) => p.cpus === cpus)) continue;
    const memoryMiB = Math.max(MIB_STEP, Math.floor((usable * cpus) / baseCpus / MIB_STEP) * MIB_STEP);
    out.push({ id: size.id, label: `${size.label} (${cpus} CPU, ${formatGiB(memoryMiB)})`, cpus, memoryMiB });
  }
  return out;
}

/** launcher.<cluster>.profiles.conf: what every user ([*]) may ask for. */
export function profilesConfFile(site: SiteConfig, cluster: LauncherCluster, f: Features): SharedFile {
  const parts = clusterPartitions(site, cluster);
  const first = profilesFor(site, cluster)[0]!;
  const entries: Entry[] = [
    ["allowed-partitions", cluster.partitions.join(",")],
    ["default-cpus", first.cpus],
    ["default-mem-mb", first.memoryMiB],
    ["max-cpus", Math.max(...parts.map((p) => p.cpus))],
    ["max-mem-mb", Math.max(...parts.map((p) => schedulableMiB(p.memoryMiB)))],
  ];
  if (site.containers.enabled && f.singularityImages) entries.push(["singularity-image-directory", site.containers.imageDirectory]);
  return plainFile(profilesConf(cluster.name), sectionedFile([{ name: "*", entries }], MANAGED_HEADER));
}

/** launcher.<cluster>.resources.conf: the sizes offered in the session launch dialog, in this order. */
export function resourcesConfFile(site: SiteConfig, cluster: LauncherCluster): SharedFile {
  const sections: Section[] = profilesFor(site, cluster).map((p) => ({
    name: p.id,
    entries: [
      ["name", `"${p.label}"`],
      ["cpus", p.cpus],
      ["mem-mb", p.memoryMiB],
    ],
  }));
  return plainFile(resourcesConf(cluster.name), sectionedFile(sections, MANAGED_HEADER));
}
