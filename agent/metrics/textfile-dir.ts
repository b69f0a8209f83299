// Where the node's Prometheus node exporter reads textfiles, so the agent's metrics land where they
// are collected: the site's choice, else the exporter's own configured flag, else what its package
// reads on this OS.
import { OS_RELEASE, osFromRelease } from "../facts/os.js";
import type { OsFamily } from "../facts/types.js";
import type { Root } from "../nodefs/root.js";

/** The upstream node_exporter's conventional directory (its own default is none: the collector is off). */
export const UPSTREAM_TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector";
/** What Debian's and Ubuntu's prometheus-node-exporter package reads (its built-in default). */
export const DEBIAN_TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";

/** The exporter's unit, by package: the distribution's (Debian/Ubuntu, Fedora/EPEL) and the upstream tarball's. */
const EXPORTER_UNITS = [
  { name: "prometheus-node-exporter.service", packaged: true },
  { name: "node_exporter.service", packaged: false },
] as const;
const UNIT_DIRS = ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];
/** Files whose variables the units pass as flags (EnvironmentFile=). */
const EXPORTER_ENV_FILES = ["/etc/default/prometheus-node-exporter", "/etc/sysconfig/prometheus-node-exporter", "/etc/sysconfig/node_exporter"];
const MAX_CONFIG_BYTES = 256 * 1024;

export interface ExporterFound {
  /** The exporter's unit file (node path), or null when none is installed. */
  unit: string | null;
  /** The unit comes from a distribution package (Debian/Ubuntu: reads DEBIAN_TEXTFILE_DIR by default). */
  packaged: boolean;
  /** `--collector.textfile.directory` as configured, and the file that says so. */
  flag: { dir: string; file: string } | null;
}

export interface TextfileDirChoice {
  dir: string;
  /** Why this directory, for doctor and logs. */
  why: string;
}

/** The value of the first `--collector.textfile.directory` flag in a unit or environment file's live lines. */
export function textfileFlag(text: string): string | null {
  for (const line of text.split("\n")) {
    if (/^\s*[#;]/.test(line)) continue;
    const m = /--collector\.textfile\.directory(?:=|\s+)(?:"([^"]*)"|'([^']*)'|([^\s"']+))/.exec(line);
    const dir = m?.[1] ?? m?.[2] ?? m?.[3];
    if (dir) return dir;
  }
  return null;
}

const read = (root: Root, nodePath: string) => root.readText(nodePath, { maxBytes: MAX_CONFIG_BYTES }).catch(() => null);

/** The installed node exporter (if any) and the textfile directory it is configured with (if any). */
export async function findExporter(root: Root): Promise<ExporterFound> {
  let unit: string | null = null;
  let packaged = false;
  let flag: ExporterFound["flag"] = null;
  for (const u of EXPORTER_UNITS) {
    for (const dir of UNIT_DIRS) {
      const file = `${dir}/${u.name}`;
      const text = await read(root, file);
      if (text === null) continue;
      unit ??= file;
      if (unit === file) packaged = u.packaged;
      const dirFlag = textfileFlag(text);
      if (dirFlag && !flag) flag = { dir: dirFlag, file };
      break;
    }
    if (unit) break;
  }
  if (unit && !flag) {
    for (const file of EXPORTER_ENV_FILES) {
      const text = await read(root, file);
      const dirFlag = text === null ? null : textfileFlag(text);
      if (dirFlag) {
        flag = { dir: dirFlag, file };
        break;
      }
    }
  }
  return { unit, packaged, flag };
}

/** Pure: the site's override, else the exporter's flag, else what the exporter's package or the OS implies. */
export function chooseTextfileDir(family: OsFamily | null, exporter: ExporterFound, override: string | null | undefined): TextfileDirChoice {
  if (override) return { dir: override, why: "the site's telemetry.textfileDirectory" };
  if (exporter.flag) return { dir: exporter.flag.dir, why: `--collector.textfile.directory in ${exporter.flag.file}` };
  // The Debian/Ubuntu package is built to read DEBIAN_TEXTFILE_DIR; an upstream binary reads none by default.
  if (family === "debian" && (exporter.unit === null || exporter.packaged)) {
    return { dir: DEBIAN_TEXTFILE_DIR, why: "what Debian's and Ubuntu's prometheus-node-exporter package reads" };
  }
  return { dir: UPSTREAM_TEXTFILE_DIR, why: "node_exporter's conventional directory" };
}

/** The directory the exporter itself reads, where that can be told: its flag, else its package's built-in default. */
export function exporterReads(family: OsFamily | null, exporter: ExporterFound): string | null {
  if (exporter.flag) return exporter.flag.dir;
  return exporter.unit && exporter.packaged && family === "debian" ? DEBIAN_TEXTFILE_DIR : null;
}

async function osFamily(root: Root): Promise<OsFamily | null> {
  for (const file of OS_RELEASE) {
    const text = await read(root, file);
    if (text !== null) return osFromRelease(text).family;
  }
  return null;
}

type Resolved = TextfileDirChoice & { exporter: ExporterFound; exporterReads: string | null };
/** One read of the node per root and run: apply, doctor and alb-sync each write more than one textfile. */
const seen = new WeakMap<Root, Map<string, Promise<Resolved>>>();

/** Reads the node (os-release, the exporter's unit and settings) and chooses the directory. */
export function resolveTextfileDir(root: Root, override?: string | null): Promise<Resolved> {
  const byOverride = seen.get(root) ?? new Map<string, Promise<Resolved>>();
  seen.set(root, byOverride);
  const key = override ?? "";
  let found = byOverride.get(key);
  if (!found) {
    found = (async () => {
      const [family, exporter] = await Promise.all([osFamily(root), findExporter(root)]);
      return { ...chooseTextfileDir(family, exporter, override), exporter, exporterReads: exporterReads(family, exporter) };
    })();
    byOverride.set(key, found);
  }
  return found;
}
