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

/**
 * The live test suite's node image is Debian 13 built from Debian's packages; its os-release marks it
 * with this VARIANT_ID. Debian is not a supported OS, so rather than a Debian branch in every package
 * rule, such a node follows Ubuntu 24.04's (both apt, same package names for what the agent installs)
 * and stays unsupported: `detect` says what it really is.
 */
export const TEST_NODE_VARIANT = "pwb-test-node";
const TEST_NODE_RULES = { id: "ubuntu", version: "24.04", major: 24 } as const;

export function osFromRelease(text: string): OsFacts {
  const vars = parseShellVars(text);
  const testNode = shellString(vars, "VARIANT_ID") === TEST_NODE_VARIANT && shellString(vars, "ID") === "debian" && shellString(vars, "VERSION_ID") === "13";
  if (testNode) {
    const pretty = shellString(vars, "PRETTY_NAME") || "Debian GNU/Linux 13";
    return { ...TEST_NODE_RULES, family: "debian", supported: false, prettyName: `${pretty}, pwb-agent test node`, testNode: true };
  }
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
