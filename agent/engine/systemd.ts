import path from "node:path";
import { isMissing } from "../nodefs/files.js";
import type { Root } from "../nodefs/root.js";

export const ADMIN_UNIT_DIR = "/etc/systemd/system";
export const RUNTIME_UNIT_DIR = "/run/systemd/system";
/** Where packages put units: the agent's own go there too, so a packaged node and a bare binary agree. */
export const VENDOR_UNIT_DIR = "/usr/lib/systemd/system";
/** Where systemd looks for units, admin directory first. */
export const UNIT_DIRS = [ADMIN_UNIT_DIR, RUNTIME_UNIT_DIR, VENDOR_UNIT_DIR, "/lib/systemd/system"];

export function isUnitPath(nodePath: string): boolean {
  return UNIT_DIRS.some((d) => nodePath.startsWith(d + "/"));
}

export interface UnitSetting {
  section: string;
  key: string;
  value: string;
}

/** `Key=value` lines of a unit file with their section (comments and blank lines dropped). */
export function unitSettings(text: string): UnitSetting[] {
  const out: UnitSetting[] = [];
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1] ?? "";
    else if (line.includes("=")) {
      const eq = line.indexOf("=");
      out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
    }
  }
  return out;
}

/** `WantedBy=`/`RequiredBy=` of a unit's [Install] section (repeated keys and lists allowed). */
export function parseInstallSection(unitText: string): { wantedBy: string[]; requiredBy: string[] } {
  const install = unitSettings(unitText).filter((s) => s.section === "Install");
  const values = (key: string) => install.filter((s) => s.key === key).flatMap((s) => s.value.split(/\s+/).filter(Boolean));
  return { wantedBy: values("WantedBy"), requiredBy: values("RequiredBy") };
}

/** The node path of the unit file systemd would load, or null. */
export async function findUnitFile(root: Root, name: string): Promise<string | null> {
  for (const dir of UNIT_DIRS) {
    const p = path.posix.join(dir, name);
    const st = await root.lstat(p);
    if (st && !(st.isSymbolicLink() && (await root.readlink(p)) === "/dev/null")) return p;
  }
  return null;
}

export async function readUnitInstall(root: Root, unitPath: string) {
  const text = await root.readText(unitPath);
  return text === null ? null : parseInstallSection(text);
}

/** Every `<target>.wants/<name>` and `.requires/<name>` link in the admin directory. */
export async function enablementLinks(root: Root, name: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await root.readdir(ADMIN_UNIT_DIR);
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
  const found: string[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith(".wants") && !entry.endsWith(".requires")) continue;
    const link = path.posix.join(ADMIN_UNIT_DIR, entry, name);
    if (await root.exists(link)) found.push(link);
  }
  return found;
}

/** A unit an administrator masked (linked to /dev/null in /etc or /run): an override pwb-agent respects. */
export async function isMasked(root: Root, name: string): Promise<boolean> {
  for (const dir of [ADMIN_UNIT_DIR, RUNTIME_UNIT_DIR]) {
    const p = path.posix.join(dir, name);
    if ((await root.lstat(p))?.isSymbolicLink() && (await root.readlink(p)) === "/dev/null") return true;
  }
  return false;
}
