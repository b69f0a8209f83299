import type { LauncherCluster, SiteConfig } from "../../../site/types.js";
import type { Features } from "../features.js";
import { keyValueFile, MANAGED_HEADER, type Entry } from "../config/ini-write.js";
import { clusterConf, configFile, profilesConf, resourcesConf } from "../paths.js";
import { plainFile, type SharedFile } from "../config/file.js";

/** launcher.<cluster>.conf: one Slurm plugin instance (Posit admin guide, "Slurm Plugin"). */
export function slurmClusterConf(site: SiteConfig, cluster: LauncherCluster, f: Features): SharedFile {
  const partitions = site.slurm.partitions.filter((p) => cluster.partitions.includes(p.name));
  const gpuPartitions = partitions.filter((p) => p.gpus !== null);
  const gpuTypes = [...new Set(gpuPartitions.map((p) => p.gpus!.type).filter((t): t is string => t !== null))].sort();
  const entries: Entry[] = [
    ["slurm-service-user", site.slurm.serviceUser],
    ["slurm-bin-path", site.slurm.binPath],
    // Explicit paths: the plugin's defaults point at /etc/rstudio, not at the shared directory.
    ["profile-config", configFile(site, profilesConf(cluster.name))],
    ["resource-profile-config", configFile(site, resourcesConf(cluster.name))],
  ];
  if (f.defaultPartition) entries.push(["default-partition", cluster.defaultPartition]);
  if (gpuPartitions.length) {
    entries.push(["enable-gpus", 1]);
    // Only types the site names: they must match the GRES types Slurm was configured with.
    if (gpuTypes.length) entries.push(["gpu-types", gpuTypes.join(",")]);
    if (f.defaultGpuBrand) entries.push(["default-gpu-brand", "nvidia"]);
  }
  if (site.workbench.debugLogging) entries.push(["enable-debug-logging", 1]);
  return plainFile(clusterConf(cluster.name), keyValueFile(entries, MANAGED_HEADER));
}
