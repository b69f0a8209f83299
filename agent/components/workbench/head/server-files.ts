import type { SiteConfig } from "../../../site/types.js";
import type { Features } from "../features.js";
import { keyValueFile, MANAGED_HEADER, type Entry } from "../config/ini-write.js";
import { dataPaths } from "./rserver.js";
import { plainFile, type SharedFile } from "../config/file.js";

/**
 * load-balancer: cluster-wide settings only. No `www-host-name`: every login node reads this same
 * file (RSTUDIO_CONFIG_DIR), and Workbench's default node address (the node's private IP in the
 * cluster's VPC) is what the other login nodes reach it at (docs/workbench.md, "Design decisions").
 */
export function loadBalancerFile(f: Features): SharedFile {
  const entries: Entry[] = [["balancer", "sessions"]];
  // Login nodes come and go with the pool's scaling: leave no stale rows in the node table.
  if (f.deleteNodeOnExit) entries.push(["delete-node-on-exit", 1]);
  return plainFile("load-balancer", keyValueFile(entries));
}

/** launcher-env: environment for launched sessions and jobs (Slurm's config, container binds). */
export function launcherEnvFile(site: SiteConfig): SharedFile {
  const entries: Entry[] = [["SLURM_CONF", site.slurm.conf]];
  if (site.containers.enabled) {
    const bind = site.containers.bind.join(",");
    entries.push(["APPTAINER_BIND", bind], ["SINGULARITY_BIND", bind]);
  }
  // The site schema keeps these names apart from the ones set above.
  for (const [k, v] of Object.entries(site.workbench.launcherEnv).sort(([a], [b]) => a.localeCompare(b))) entries.push([k, v]);
  return plainFile("launcher-env", keyValueFile(entries));
}

/** r-versions: the R installations sessions may use (default first); none listed = Workbench scans. */
export function rVersionsFile(site: SiteConfig): SharedFile | null {
  const r = site.runtimes.r;
  if (!r.versions.length) return null;
  const ordered = r.default ? [r.default, ...r.versions.filter((v) => v !== r.default)] : r.versions;
  const blocks = ordered.map((v) => `Path: /opt/R/${v}\nLabel: R ${v}`);
  return plainFile("r-versions", `# ${MANAGED_HEADER[0]}\n\n${blocks.join("\n\n")}\n`);
}

export function crashHandlerConf(site: SiteConfig): SharedFile {
  const entries: Entry[] = [["crash-handling-enabled", site.workbench.crashHandling]];
  if (site.workbench.crashHandling) entries.push(["crash-db-path", dataPaths(site).crashDumps]);
  return plainFile("crash-handler.conf", keyValueFile(entries, MANAGED_HEADER));
}

/** nginx worker tuning for many concurrent sessions (values of Posit's HA reference setup). */
export function nginxWorkerConf(f: Features): SharedFile | null {
  if (!f.nginxWorkerConf) return null;
  return plainFile("nginx.worker.conf", `# ${MANAGED_HEADER[0]}\nworker_processes 1;\nworker_rlimit_nofile 8192;\n\nevents {\n    worker_connections 4096;\n}\n`);
}
