// The agent's metrics textfiles go where the node's Prometheus exporter reads them.
import { NODE_TEXTFILES } from "../../metrics/node.js";
import { resolveTextfileDir } from "../../metrics/textfile-dir.js";
import type { Root } from "../../nodefs/root.js";
import { fail, ok, skipped, warn, type CheckOutcome } from "../../doctor/checks.js";

const SITE_FIX = "set telemetry.textfileDirectory in the site to the exporter's --collector.textfile.directory";

export async function checkTextfileDir(root: Root, override: string | undefined): Promise<CheckOutcome> {
  const r = await resolveTextfileDir(root, override);
  if (r.exporter.unit === null) {
    // A simulated root is a tree, not a running system: an exporter it lacks is not this machine's.
    if (!root.live) return skipped(`simulated root: no node exporter installed in it (the agent writes its metrics to ${r.dir})`);
    return warn(`no Prometheus node exporter is installed (prometheus-node-exporter.service, node_exporter.service): nothing collects the metrics the agent writes to ${r.dir}`, "install prometheus-node-exporter, or point telemetry.textfileDirectory at the exporter this node runs");
  }
  if (r.exporterReads === null) {
    return warn(`${r.exporter.unit} sets no --collector.textfile.directory, so which directory it reads (if any) cannot be told; the agent writes ${r.dir}`, `add --collector.textfile.directory=${r.dir} to the exporter's flags, or ${SITE_FIX}`);
  }
  if (r.exporterReads !== r.dir) {
    return fail(`the agent writes its metrics to ${r.dir} (${r.why}) but ${r.exporter.unit} reads ${r.exporterReads}: they are never collected`, SITE_FIX);
  }
  // The apply's textfile is there: what the exporter reads is what the agent wrote.
  const applyFile = `${r.dir}/${NODE_TEXTFILES.apply}`;
  const st = await root.lstat(applyFile).catch(() => null);
  if (!st?.isFile()) return warn(`${r.dir} (${r.why}) is what ${r.exporter.unit} reads, but ${applyFile} is not there: no apply recorded its metrics`, "run `pwb-agent apply`");
  return ok(`${r.dir} (${r.why}), which ${r.exporter.unit} reads`);
}
