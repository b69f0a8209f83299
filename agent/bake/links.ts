import path from "node:path";
import type { Root } from "../engine/root.js";
import { atomicSymlink, lstatMaybe, readlinkMaybe } from "../engine/fsutil.js";
import type { SiteConfig } from "../site/types.js";

export const BIN_DIR = "/usr/local/bin";

/** The commands each runtime's default version puts on PATH, and where they are in its tree. */
const COMMANDS = {
  r: { dir: (v: string) => `/opt/R/${v}/bin`, names: ["R", "Rscript"] },
  python: { dir: (v: string) => `/opt/python/${v}/bin`, names: ["python3", "pip3"] },
  quarto: { dir: (v: string) => `/opt/quarto/${v}/bin`, names: ["quarto"] },
} as const;

export interface LinkResult {
  /** Node path of the link, e.g. /usr/local/bin/R. */
  link: string;
  target: string;
  outcome: "linked" | "unchanged" | "missing";
}

/** A runtime's default: the one named, else the only version listed. */
function defaultVersion(rt: SiteConfig["runtimes"]["r"]): string | null {
  return rt.default ?? (rt.versions.length === 1 ? rt.versions[0]! : null);
}

/**
 * Points /usr/local/bin/<cmd> at each default version's command. A target that is not there
 * (an rpm recorded, not installed, on a simulated root) is reported "missing", not linked dangling.
 */
export async function linkDefaults(site: SiteConfig, root: Root): Promise<LinkResult[]> {
  const results: LinkResult[] = [];
  for (const kind of ["r", "python", "quarto"] as const) {
    const version = defaultVersion(site.runtimes[kind]);
    if (!version) continue;
    const c = COMMANDS[kind];
    for (const name of c.names) {
      const target = path.posix.join(c.dir(version), name);
      const link = path.posix.join(BIN_DIR, name);
      if (!(await lstatMaybe(root.path(target)))) {
        results.push({ link, target, outcome: "missing" });
      } else if ((await readlinkMaybe(root.path(link))) === target) {
        results.push({ link, target, outcome: "unchanged" });
      } else {
        await atomicSymlink(target, root.path(link));
        results.push({ link, target, outcome: "linked" });
      }
    }
  }
  return results;
}
