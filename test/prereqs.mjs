// What the test suite needs from the machine, and the Debian package that provides each.
// `node test/prereqs.mjs --packages` prints the package list (used by .ci/run).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

export const PREREQS = [
  { cmd: "systemd-analyze", pkg: "systemd", why: "verifies every shipped unit" },
  { cmd: "systemd-nspawn", pkg: "systemd-container", why: "boots a real systemd for the unit tests" },
  { cmd: "nsenter", pkg: "util-linux", why: "runs commands inside the booted container" },
  { cmd: "strip", pkg: "binutils", why: "strips the Node binary before the single executable is made" },
  { cmd: "tar", pkg: "tar", why: "unpacks the embedded Node runtime" },
  { cmd: "dpkg-query", pkg: "dpkg", why: "package resource reads a dpkg database" },
  // Debian puts the server binaries in /usr/lib/postgresql/<version>/bin, off PATH: `dirs` says where.
  { cmd: "initdb", pkg: "postgresql", why: "creates the loopback PostgreSQL doctor's database check runs against", dirs: "/usr/lib/postgresql" },
  { cmd: "pg_ctl", pkg: "postgresql", why: "starts and stops that PostgreSQL", dirs: "/usr/lib/postgresql" },
  { cmd: "psql", pkg: "postgresql-client", why: "creates the test role and database" },
  { cmd: "runuser", pkg: "util-linux", why: "runs PostgreSQL as the postgres user" },
  { cmd: "rpmbuild", pkg: "rpm", why: "builds the rpm package (npm run package); rpm inspects and installs it into a scratch root" },
  { cmd: "dpkg-deb", pkg: "dpkg", why: "builds, lists and extracts the deb package" },
  { cmd: "dpkg", pkg: "dpkg", why: "bake's test installs stand-in debs into a throwaway root (dpkg --root)" },
  { cmd: "dpkg-parsechangelog", pkg: "dpkg-dev", why: "checks the deb's Debian changelog" },
  { cmd: "shellcheck", pkg: "shellcheck", why: "lints the packages' maintainer scripts, the SSM document's script and the custom-action hook" },
  { cmd: "groff", pkg: "groff-base", why: "renders the man page, warnings on" },
  { cmd: "readelf", pkg: "binutils", why: "lists the shared libraries the packaged executable needs" },
  { cmd: "unshare", pkg: "util-linux", why: "runs maintainer scripts against a private /run" },
  { cmd: "aws", pkg: "awscli", why: "checks that the loopback AWS endpoint answers the AWS CLI as AWS would" },
  { cmd: "slurmctld", pkg: "slurm-wlm", why: "the real Slurm (loopback) the SPANK plugin is built for and registered with" },
  { cmd: "slurmd", pkg: "slurm-wlm", why: "runs the jobs that go through the SPANK plugin" },
  { cmd: "srun", pkg: "slurm-client", why: "submits those jobs" },
  { cmd: "munged", pkg: "munge", why: "Slurm's authentication on loopback" },
  { cmd: "mungekey", pkg: "munge", why: "creates the loopback cluster's munge key" },
  // A header, not a command: `file` is checked instead.
  { cmd: "spank.h", file: "/usr/include/slurm/spank.h", pkg: "libslurm-dev", why: "the Slurm headers the SPANK plugin builds against" },
  { cmd: "cmake", pkg: "cmake", why: "builds the SPANK plugin" },
  { cmd: "make", pkg: "make", why: "CMake's build tool" },
  { cmd: "c++", pkg: "g++", why: "compiles the SPANK plugin (C/C++)" },
  { cmd: "dnf", pkg: "dnf", why: "installs fixture rpms into simulated EL roots (dnf --installroot) from a loopback repository" },
  { cmd: "apt-get", pkg: "apt", why: "installs fixture debs into simulated Ubuntu roots (apt-get pointed at the root) from a loopback repository" },
  { cmd: "createrepo_c", pkg: "createrepo-c", why: "writes the loopback rpm repository's metadata" },
  { cmd: "python3", pkg: "python3-venv", why: "a real Python (venv) runs the pip command bake declares for Jupyter, against fixture wheels" },
  { cmd: "mmdebstrap", pkg: "mmdebstrap", why: "builds the bootable Debian 13 test node image the live tests boot (test/live/image.mjs)" },
  { cmd: "debian-archive-keyring.gpg", file: "/usr/share/keyrings/debian-archive-keyring.gpg", pkg: "debian-archive-keyring", why: "verifies the Debian archive that image is built from" },
  { cmd: "ip", pkg: "iproute2", why: "makes the live nodes' private network (a bridge in a network namespace of its own)" },
  { cmd: "promtool", pkg: "prometheus", why: "checks every metrics textfile the agent writes (promtool check metrics)" },
];

/** `<dirs>/<version>/bin/<cmd>` exists for some version (Debian's layout for PostgreSQL). */
function inVersionedDirs(cmd, dirs) {
  if (!dirs || !existsSync(dirs)) return false;
  return readdirSync(dirs).some((v) => existsSync(path.join(dirs, v, "bin", cmd)));
}

export function missing() {
  return PREREQS.filter(({ cmd, dirs, file }) =>
    file ? !existsSync(file) : spawnSync("sh", ["-c", 'command -v "$0"', cmd]).status !== 0 && !inVersionedDirs(cmd, dirs),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  if (process.argv.includes("--packages")) console.log([...new Set(PREREQS.map((p) => p.pkg))].join(" "));
}
