import path from "node:path";
import type { SiteParsed } from "./schema.js";
import { METRICS_SINCE } from "./sections/telemetry.js";
import { atLeast, parseWorkbenchVersion } from "./version.js";

/**
 * The defaults one section takes from another (each section fills in its own in its schema), and
 * where the file came from: the read-only, complete site configuration.
 */
export function resolveSite(p: SiteParsed, source: string, text: string) {
  const metricsAvailable = atLeast(parseWorkbenchVersion(p.workbench.version)!, METRICS_SINCE);
  return {
    /** Where it was loaded from (a path or s3:// URL), for messages. */
    source,
    /** The file as read: kept on the node so later boots (pwb-agent.service, no --site) use the same. */
    text,
    ...p,
    containers: { enabled: p.containers.enabled, imageDirectory: p.containers.imageDirectory ?? path.posix.join(p.storage.workbench, "container"), bind: p.containers.bind },
    telemetry: { ...p.telemetry, metrics: { enabled: p.telemetry.metrics.enabled ?? metricsAvailable, port: p.telemetry.metrics.port } },
  };
}
