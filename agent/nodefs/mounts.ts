import { UnexpectedFileError } from "./files.js";
import type { Root } from "./root.js";

const MAX_MOUNTS_BYTES = 16 * 1024 * 1024;

/** Mount points listed in a /proc/mounts text (octal escapes such as \040 decoded). */
export function parseMountPoints(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.split(" ")[1])
    .filter((m): m is string => Boolean(m))
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** The deepest mount point other than / that holds `p`, or null (p is on the root file system). */
export function mountHolding(mounts: readonly string[], p: string): string | null {
  return mounts.filter((m) => m !== "/" && (p === m || p.startsWith(m + "/"))).sort((a, b) => b.length - a.length)[0] ?? null;
}

/** The node's mount points, or null when the root has no /proc/mounts (a simulated node without one). */
export async function readMountPoints(root: Root): Promise<string[] | null> {
  try {
    const text = await root.readText("/proc/mounts", { maxBytes: MAX_MOUNTS_BYTES });
    return text === null ? null : parseMountPoints(text);
  } catch (e) {
    if (e instanceof UnexpectedFileError) throw e;
    return null;
  }
}
