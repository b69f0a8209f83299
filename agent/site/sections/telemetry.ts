import { boolean, enum as oneOf, number, strictObject } from "zod";
import { absolutePath, expected, port } from "../fields.js";

/*
 * telemetry: — what Workbench and the cluster tell an operations team. Every field has a default; the
 * section may be left out.
 *
 *   telemetry:
 *     metrics:                  # Workbench's Prometheus endpoint (rserver.conf metrics-enabled / metrics-port)
 *       enabled: true           # default: on from Workbench 2024.04 (where the endpoint exists), off before (agent/site/resolve.ts)
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
 *     jobCompletion:            # Slurm job completion records as JSON lines (head node; see docs/operating.md)
 *       enabled: false
 *       path: /var/log/pwb-agent/jobs/jobcomp.jsonl
 *     textfileDirectory: /var/lib/prometheus/node-exporter
 *                               # where the agent writes its node metrics (pwb_agent*.prom): the node exporter's
 *                               # --collector.textfile.directory. Default: the flag as the exporter's unit or its
 *                               # settings file sets it, else /var/lib/prometheus/node-exporter where Debian's or
 *                               # Ubuntu's prometheus-node-exporter package runs, else /var/lib/node_exporter/textfile_collector
 */
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
      path: absolutePath.default("/var/log/pwb-agent/jobs/jobcomp.jsonl"),
    })
    .prefault({}),
  textfileDirectory: absolutePath.optional(),
}).prefault({});

/** Workbench 2024.04.0 added the Prometheus endpoint (a preview feature). */
export const METRICS_SINCE = "2024.04.0";
