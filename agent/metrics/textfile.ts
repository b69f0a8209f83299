// Prometheus text exposition (node_exporter's textfile collector format), written atomically.
import path from "node:path";
import type { Root } from "../nodefs/root.js";
import { resolveTextfileDir } from "./textfile-dir.js";

export type Labels = Readonly<Record<string, string>>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** One textfile: each metric once, with its HELP and TYPE, then its samples. */
export class MetricsText {
  private readonly lines: string[] = [];
  private readonly names = new Set<string>();

  gauge(name: string, help: string, samples: ReadonlyArray<readonly [Labels, number]> | number): this {
    return this.metric(name, "gauge", help, samples);
  }

  counter(name: string, help: string, samples: ReadonlyArray<readonly [Labels, number]> | number): this {
    if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
    return this.metric(name, "counter", help, samples);
  }

  /** Names of every metric added, for the dashboard's cross-check. */
  metricNames(): string[] {
    return [...this.names];
  }

  toString(): string {
    return this.lines.join("\n") + "\n";
  }

  private metric(name: string, type: "gauge" | "counter", help: string, samples: ReadonlyArray<readonly [Labels, number]> | number): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`not a metric name: ${name}`);
    if (this.names.has(name)) throw new Error(`metric ${name} added twice`);
    this.names.add(name);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    const list = typeof samples === "number" ? [[{}, samples] as const] : samples;
    for (const [labels, value] of list) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      this.lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${Number.isFinite(value) ? value : 0}`);
    }
    return this;
  }
}

/**
 * Writes `<dir>/<file>` under the root, in the directory the node's exporter reads (`override`: the
 * site's telemetry.textfileDirectory; see textfile-dir.ts): temp file + rename, so the collector
 * never reads half a file.
 */
export async function writeTextfile(root: Root, file: string, text: MetricsText | string, override: string | null | undefined): Promise<string> {
  const nodePath = path.posix.join((await resolveTextfileDir(root, override)).dir, file);
  await root.writeAtomic(nodePath, String(text), { mode: 0o644 });
  return nodePath;
}

export const seconds = (ms: number | null | undefined) => (ms == null ? 0 : ms / 1000);
