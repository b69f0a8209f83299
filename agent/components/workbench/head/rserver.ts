import path from "node:path";
import type { SiteConfig } from "../../../site/types.js";
import type { Features } from "../features.js";
import { keyValueFile, MANAGED_HEADER, type Entry } from "../config/ini-write.js";
import { SECURE_COOKIE_KEY } from "../paths.js";
import { plainFile, type SharedFile } from "../config/file.js";
import { telemetryEntries } from "./telemetry.js";

/** Data directories on shared storage (EFS) that rserver.conf points at. */
export function dataPaths(site: SiteConfig) {
  const d = site.storage.dataDir;
  return {
    audit: path.posix.join(d, "audit-data"),
    monitor: path.posix.join(d, "monitor-data"),
    rVersions: path.posix.join(d, "r-versions"),
    crashDumps: path.posix.join(d, "crash-dumps"),
    auditedJobs: path.posix.join(d, "audited-jobs"),
  };
}

/**
 * rserver.conf. Keys from Posit's admin guide (rserver.conf reference, Job Launcher configuration,
 * load balancing) as Posit's public ParallelCluster setups use them (GitHub: sol-eng/aws-parallelcluster-rsw-ha,
 * michaelmayer2/aws-parallelcluster-rsw-minimal).
 */
export function rserverConf(site: SiteConfig, f: Features): SharedFile {
  const w = site.workbench;
  const data = dataPaths(site);
  const sessionClusters = site.slurm.clusters.filter((c) => c.use !== "jobs").map((c) => c.name);
  const jobClusters = site.slurm.clusters.filter((c) => c.use !== "sessions").map((c) => c.name);
  const entries: Entry[] = [
    // The ALB probes /health-check on every login node.
    ["server-health-check-enabled", 1],
    ["www-port", w.port],
    ["load-balancing-enabled", 1],
    ["server-shared-storage-path", site.storage.sharedStoragePath],
    ["secure-cookie-key-file", path.posix.join(site.storage.configDir, SECURE_COOKIE_KEY)],
    ["auth-pam-sessions-enabled", 1],
    ["launcher-sessions-enabled", 1],
    // Each node talks to its own launcher.
    ["launcher-address", "127.0.0.1"],
    ["launcher-port", w.launcherPort],
    // Sessions on compute nodes call back through the load balancer.
    ["launcher-sessions-callback-address", w.url],
    ["launcher-sessions-clusters", sessionClusters.join(",")],
    ...(jobClusters.length ? ([["launcher-adhoc-clusters", jobClusters.join(",")]] as Entry[]) : []),
    ["launcher-default-cluster", sessionClusters[0]!],
    [f.forwardEnvironmentKey, 1],
    ...(site.containers.enabled ? ([["launcher-sessions-create-container-user", 0]] as Entry[]) : []),
    // The version scan report must be readable on every node that runs R sessions.
    ["r-versions-path", data.rVersions],
    ["audit-data-path", data.audit],
    ["monitor-data-path", data.monitor],
    ...telemetryEntries(site, data.auditedJobs),
  ];
  if (w.audit.rSessions) entries.push(["audit-r-sessions", 1]);
  if (w.audit.rConsole !== "none") entries.push(["audit-r-console", w.audit.rConsole]);
  if (w.adminGroup) {
    entries.push(["admin-enabled", 1], ["admin-group", w.adminGroup]);
    if (w.superuserGroup) entries.push(["admin-superuser-group", w.superuserGroup]);
  }
  for (const [k, v] of Object.entries(w.rserver).sort(([a], [b]) => a.localeCompare(b))) entries.push([k, v]);
  return plainFile("rserver.conf", keyValueFile(entries, MANAGED_HEADER));
}
