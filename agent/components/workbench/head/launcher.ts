import type { SiteConfig } from "../../../site/types.js";
import { sectionedFile, MANAGED_HEADER, type Section } from "../config/ini-write.js";
import { clusterConf, configFile } from "../paths.js";
import { plainFile, type SharedFile } from "../config/file.js";

/**
 * launcher.conf: the Job Launcher's own settings and one `[cluster]` per Slurm plugin instance.
 * It listens on every interface: load-balanced nodes reach each other's launcher on this port.
 */
export function launcherConf(site: SiteConfig): SharedFile {
  const server: Section = {
    name: "server",
    entries: [
      ["address", "0.0.0.0"],
      ["port", site.workbench.launcherPort],
      ["server-user", "rstudio-server"],
      ["admin-group", "rstudio-server"],
      ["authorization-enabled", 1],
      ["enable-debug-logging", site.workbench.debugLogging],
    ],
  };
  const clusters: Section[] = site.slurm.clusters.map((c) => ({
    name: "cluster",
    entries: [
      ["name", c.name],
      ["type", "Slurm"],
      ["config-file", configFile(site, clusterConf(c.name))],
    ],
  }));
  return plainFile("launcher.conf", sectionedFile([server, ...clusters], MANAGED_HEADER));
}
