// What the test suite needs from the machine, and the Debian package that provides each.
// `node test/prereqs.mjs --packages` prints the package list (used by .ci/run).
import { spawnSync } from "node:child_process";

export const PREREQS = [
  { cmd: "systemd-analyze", pkg: "systemd", why: "verifies every shipped unit" },
  { cmd: "systemd-nspawn", pkg: "systemd-container", why: "boots a real systemd for the unit tests" },
  { cmd: "nsenter", pkg: "util-linux", why: "runs commands inside the booted container" },
  { cmd: "strip", pkg: "binutils", why: "strips the Node binary before the single executable is made" },
  { cmd: "tar", pkg: "tar", why: "unpacks the embedded Node runtime" },
  { cmd: "dpkg-query", pkg: "dpkg", why: "package resource reads a dpkg database" },
];

export function missing() {
  return PREREQS.filter(({ cmd }) => spawnSync("sh", ["-c", 'command -v "$0"', cmd]).status !== 0);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  if (process.argv.includes("--packages")) console.log([...new Set(PREREQS.map((p) => p.pkg))].join(" "));
}
