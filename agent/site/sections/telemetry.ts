import { boolean, enum as oneOf, number, strictObject, type output } from "zod";
import { expected, nodePath } from "./fields.js";

/*
 * telemetry: — what Workbench and the cluster tell an operations team. Every field has a default; the
 * section may be left out.
 *
 *   telemetry:
 *     metrics:                  # Workbench's Prometheus endpoint (rserver.conf metrics-enabled / metrics-port)
 *       enabled: true           # default: on from Workbench 2024.04 (where the endpoint exists), off before
 *       port: 8989              # Posit's default
 *     logging:                  # Workbench's logging.conf, on shared storage like the rest of its configuration
 *       level: info             # debug | info | warn | error (Workbench's own default: warn)
 *       destination: file       # file (/var/log/rstudio/…, rotated by Workbench) | journald | syslog
 *       format: pretty          # pretty | json
 *       maxSizeMiB: 50          # file only: rotate at this size …
 *       maxRotations: 10        # … keep this many rotated files …
 *       deleteDays: 30          # … and delete them after this many days
 *     accessLog: true           # rserver.conf server-access-log: /var/log/rstudio/rstudio-server/rserver-http-access.log
 *     auditedJobs: false        # rserver.conf audited-jobs: every launcher job recorded under the shared audit directory
 *     cloudwatch: false         # install a CloudWatch agent fragment for Workbench's and pwb-agent's logs
 *     jobCompletion:            # Slurm job completion records as JSON lines (head node; see README "Logs")
 *       enabled: false
 *       path: /var/log/pwb-agent/jobs/jobcomp.jsonl
 */
const port = number(expected("a port number")).int(expected("an integer port")).min(1, expected("a port from 1 to 65535")).max(65535, expected("a port from 1 to 65535"));
const count = (what: string, max: number) =>
  number(expected(what)).int(expected(`a whole number (${what})`)).min(1, expected(`${what} from 1 to ${max}`)).max(max, expected(`${what} from 1 to ${max}`));

export const telemetrySection = strictObject({
  metrics: strictObject({
      enabled: boolean(expected("true or false")).optional(),
      port: port.default(8989),
    })
    .prefault({}),
  logging: strictObject({
      level: oneOf(["debug", "info", "warn", "error"], expected('one of "debug", "info", "warn", "error"')).default("info"),
      destination: oneOf(["file", "journald", "syslog"], expected('one of "file", "journald", "syslog"')).default("file"),
      format: oneOf(["pretty", "json"], expected('"pretty" or "json"')).default("pretty"),
      maxSizeMiB: count("a size in MiB", 10_000).default(50),
      maxRotations: count("a number of rotated files", 1_000).default(10),
      deleteDays: count("a number of days", 3_650).default(30),
    })
    .prefault({}),
  accessLog: boolean(expected("true or false")).default(true),
  auditedJobs: boolean(expected("true or false")).default(false),
  cloudwatch: boolean(expected("true or false")).default(false),
  jobCompletion: strictObject({
      enabled: boolean(expected("true or false")).default(false),
      path: nodePath.default("/var/log/pwb-agent/jobs/jobcomp.jsonl"),
    })
    .prefault({}),
});

export interface TelemetrySite {
  metrics: { enabled: boolean; port: number };
  logging: { level: "debug" | "info" | "warn" | "error"; destination: "file" | "journald" | "syslog"; format: "pretty" | "json"; maxSizeMiB: number; maxRotations: number; deleteDays: number };
  accessLog: boolean;
  auditedJobs: boolean;
  cloudwatch: boolean;
  jobCompletion: { enabled: boolean; path: string };
}

/** `metricsAvailable`: the site's Workbench version has the Prometheus endpoint (2024.04.0+). */
export function resolveTelemetry(p: output<typeof telemetrySection> | undefined, metricsAvailable: boolean): TelemetrySite {
  const t = telemetrySection.parse(p ?? {});
  return {
    metrics: { enabled: t.metrics.enabled ?? metricsAvailable, port: t.metrics.port },
    logging: { ...t.logging },
    accessLog: t.accessLog,
    auditedJobs: t.auditedJobs,
    cloudwatch: t.cloudwatch,
    jobCompletion: { ...t.jobCompletion },
  };
}

/** Workbench 2024.04.0 added the Prometheus endpoint (a preview feature). */
export const METRICS_SINCE = "2024.04.0";
