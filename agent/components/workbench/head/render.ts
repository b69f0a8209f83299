import path from "node:path";
import type { Resource } from "../../../engine/types.js";
import type { SiteConfig } from "../../../site/types.js";
import { databaseConf } from "./database.js";
import { featuresFor } from "../features.js";
import { ideConfs } from "./ides.js";
import type { HeadInputs, WorkbenchKeys } from "../inputs.js";
import { launcherConf } from "./launcher.js";
import { buildManifest, renderManifest } from "../config/manifest.js";
import { LAUNCHER_PEM, LAUNCHER_PUB, manifestPath, SECURE_COOKIE_KEY } from "../paths.js";
import { profilesConfFile, resourcesConfFile } from "./profiles.js";
import { dataPaths, rserverConf } from "./rserver.js";
import { crashHandlerConf, launcherEnvFile, loadBalancerFile, nginxWorkerConf, rVersionsFile } from "./server-files.js";
import type { SharedFile } from "../config/file.js";
import { slurmClusterConf } from "./slurm-cluster.js";
import { loggingConf } from "./telemetry.js";

function keyFiles(keys: WorkbenchKeys): SharedFile[] {
  const secret = (name: string, content: string): SharedFile => ({ name, content, mode: 0o600, secret: true });
  return [secret(SECURE_COOKIE_KEY, keys.secureCookieKey), secret(LAUNCHER_PEM, keys.launcherPem), secret(LAUNCHER_PUB, keys.launcherPub)];
}

/** Every file of the shared configuration directory, in the order they are written. */
export function sharedFiles(site: SiteConfig, inputs: HeadInputs): SharedFile[] {
  const f = featuresFor(site.workbench.version);
  const files: SharedFile[] = [
    ...keyFiles(inputs.keys),
    rserverConf(site, f),
    launcherConf(site),
    ...site.slurm.clusters.flatMap((c) => [slurmClusterConf(site, c, f), profilesConfFile(site, c, f), resourcesConfFile(site, c)]),
    launcherEnvFile(site),
    loadBalancerFile(f),
    databaseConf(site, inputs.databasePassword),
    ...ideConfs(site, f),
    crashHandlerConf(site),
    loggingConf(site),
  ];
  for (const optional of [nginxWorkerConf(f), rVersionsFile(site)]) if (optional) files.push(optional);
  return files;
}

const ROOT_OWNED = { owner: "root", group: "root" } as const;
const SERVER_OWNED = { owner: "rstudio-server", group: "rstudio-server" } as const;

/**
 * The head node renders the shared configuration once, for every login node: the directories
 * Workbench needs on shared storage, every file, and last the manifest that marks the set complete.
 */
export function sharedConfigResources(site: SiteConfig, inputs: HeadInputs): Resource[] {
  const files = sharedFiles(site, inputs);
  const data = dataPaths(site);
  const workbenchEtc = path.posix.join(site.storage.workbench, "etc");
  const resources: Resource[] = [
    { kind: "dir", path: workbenchEtc, mode: 0o755, ...ROOT_OWNED },
    { kind: "dir", path: site.storage.configDir, mode: 0o755, ...ROOT_OWNED },
    { kind: "dir", path: path.posix.dirname(manifestPath(site)), mode: 0o700, ...ROOT_OWNED },
    { kind: "dir", path: site.storage.dataDir, mode: 0o755, ...ROOT_OWNED },
    { kind: "dir", path: data.audit, mode: 0o755, ...SERVER_OWNED },
    { kind: "dir", path: data.monitor, mode: 0o755, ...SERVER_OWNED },
    { kind: "dir", path: site.storage.sharedStoragePath, mode: 0o755, ...SERVER_OWNED },
  ];
  // Sessions of every user write crash dumps here: world-writable, sticky like /tmp.
  if (site.workbench.crashHandling) resources.push({ kind: "dir", path: data.crashDumps, mode: 0o1777, ...ROOT_OWNED });
  if (site.telemetry.auditedJobs) resources.push({ kind: "dir", path: data.auditedJobs, mode: 0o755, ...SERVER_OWNED });
  if (site.containers.enabled) resources.push({ kind: "dir", path: site.containers.imageDirectory, mode: 0o755, ...ROOT_OWNED });
  for (const file of files) {
    resources.push({
      kind: "file",
      path: path.posix.join(site.storage.configDir, file.name),
      content: file.content,
      mode: file.mode,
      ...ROOT_OWNED,
      ...(file.secret ? { secret: true } : {}),
    });
  }
  resources.push({
    kind: "file",
    path: manifestPath(site),
    content: renderManifest(buildManifest(site, files)),
    mode: 0o600,
    ...ROOT_OWNED,
    // It holds hashes of database.conf and the keys: not for plans or logs.
    secret: true,
  });
  return resources;
}
