import type { NodeReader } from "./reader.js";
import { parseShellVars, shellString } from "./shellvars.js";
import type { OsFacts, OsFamily } from "./types.js";

/** os-release locations, in the order systemd's os-release(5) says to look. */
export const OS_RELEASE = ["/etc/os-release", "/usr/lib/os-release"] as const;

const RHEL_IDS = new Set(["rocky", "rhel", "almalinux", "centos", "amzn", "fedora", "ol"]);
const DEBIAN_IDS = new Set(["ubuntu", "debian"]);

/** The images pwb-agent supports: major versions for the RHEL family, exact VERSION_IDs for Ubuntu. */
const SUPPORTED: Record<string, (version: string, major: number | null) => boolean> = {
  rocky: (_v, m) => m === 8 || m === 9,
  rhel: (_v, m) => m === 8 || m === 9,
  almalinux: (_v, m) => m === 8 || m === 9,
  amzn: (_v, m) => m === 2023,
  ubuntu: (v) => v === "22.04" || v === "24.04",
};

/** OS facts; an unknown or unsupported OS is reported (supported: false), never thrown here. */
export async function readOsFacts(reader: NodeReader): Promise<OsFacts> {
  for (const file of OS_RELEASE) {
    const text = await reader.text(file);
    if (text !== null) return osFromRelease(text);
  }
  return { id: "unknown", version: "", major: null, family: null, supported: false, prettyName: null };
}

export function osFromRelease(text: string): OsFacts {
  const vars = parseShellVars(text);
  const id = (shellString(vars, "ID") ?? "").toLowerCase() || "unknown";
  const version = shellString(vars, "VERSION_ID") ?? "";
  const likes = (shellString(vars, "ID_LIKE") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const majorText = /^(\d+)/.exec(version)?.[1];
  const major = majorText === undefined ? null : Number(majorText);
  return {
    id,
    version,
    major,
    family: familyOf(id, likes),
    supported: SUPPORTED[id]?.(version, major) ?? false,
    prettyName: shellString(vars, "PRETTY_NAME") || null,
  };
}

function familyOf(id: string, likes: string[]): OsFamily | null {
  if (RHEL_IDS.has(id)) return "rhel";
  if (DEBIAN_IDS.has(id)) return "debian";
  if (likes.some((l) => l === "rhel" || l === "fedora" || l === "centos")) return "rhel";
  if (likes.some((l) => l === "debian" || l === "ubuntu")) return "debian";
  return null;
}
