import type { SiteConfig } from "../../../site/types.js";
import { MANAGED_HEADER, sectionedFile, type Entry } from "../config/ini-write.js";
import { plainFile, type SharedFile } from "../config/file.js";

/**
 * rserver.conf keys for what Workbench tells operators (site `telemetry:`): the Prometheus endpoint
 * (2024.04+, on each login node's own port), the HTTP access log, and launcher job auditing.
 */
export function telemetryEntries(site: SiteConfig, auditedJobsPath: string): Entry[] {
  const t = site.telemetry;
  const entries: Entry[] = [];
  if (t.metrics.enabled) entries.push(["metrics-enabled", 1], ["metrics-port", t.metrics.port]);
  if (t.accessLog) entries.push(["server-access-log", 1]);
  if (t.auditedJobs) entries.push(["audited-jobs", 1], ["audited-jobs-storage-path", auditedJobsPath]);
  return entries;
}

/** Workbench's logger-type for each destination: under systemd, stderr is the journal. */
const LOGGER_TYPE = { file: "file", journald: "stderr", syslog: "syslog" } as const;

/**
 * logging.conf, read by every Workbench program from the shared configuration directory: one global
 * `[*]` section (Posit's admin guide, "Logging"). Rotation keys apply to the file logger only.
 */
export function loggingConf(site: SiteConfig): SharedFile {
  const l = site.telemetry.logging;
  const entries: Entry[] = [
    ["log-level", l.level],
    ["logger-type", LOGGER_TYPE[l.destination]],
    ["log-message-format", l.format],
  ];
  if (l.destination === "file") {
    entries.push(["max-size-mb", l.maxSizeMiB], ["max-rotations", l.maxRotations], ["delete-days", l.deleteDays]);
  }
  return plainFile("logging.conf", sectionedFile([{ name: "*", entries }], MANAGED_HEADER));
}
