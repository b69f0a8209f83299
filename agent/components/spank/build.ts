import type { CommandResource, Resource } from "../../engine/types.js";
import type { SpankSite } from "../../site/sections/spank.js";
import { buildFingerprint, type SpankLayout } from "./layout.js";
import type { SlurmHeaders } from "./slurm-version.js";

/** Headers in a compiler's default search path must not be added again (that breaks C++'s #include_next). */
const SYSTEM_INCLUDE_DIRS = new Set(["/usr/include", "/usr/local/include"]);

/**
 * The project's own CMake interface (GSI-HPC/slurm-singularity-exec): SLURM_INCLUDE_DIR is the directory
 * holding spank.h; spank.h includes <slurm/…>, so the include root goes on every compile line too.
 * The agent registers the plugin itself, so the project never installs a plugstack file.
 */
export function cmakeConfigureArgv(s: SpankSite, l: SpankLayout): string[] {
  const argv = [
    "cmake", "-S", l.src, "-B", l.build,
    "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
    `-DCMAKE_INSTALL_PREFIX=${l.prefix}`,
    "-DCMAKE_INSTALL_LIBEXECDIR=libexec",
    `-DSLURM_INCLUDE_DIR=${s.slurmInclude}/slurm`,
  ];
  if (!SYSTEM_INCLUDE_DIRS.has(s.slurmInclude)) {
    argv.push(`-DCMAKE_C_STANDARD_INCLUDE_DIRECTORIES=${s.slurmInclude}`, `-DCMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES=${s.slurmInclude}`);
  }
  argv.push("-DINSTALL_PLUGSTACK_CONF=OFF", "-DBUILD_TESTING=OFF");
  return argv;
}

/**
 * Download (sha256-verified: a mismatch fails here, before anything else of the plugin changes),
 * unpack, configure, build, install into the build's own prefix, check the two files registration
 * points at, then write the stamp. Every step is skipped once the stamp exists; a failed step leaves
 * no stamp, so the next apply redoes the steps (all of them are safe to repeat).
 */
export function buildResources(s: SpankSite, slurm: SlurmHeaders, l: SpankLayout): Resource[] {
  const step = (label: string, argv: string[]): CommandResource => ({ kind: "command", label: `spank ${l.key}: ${label}`, argv, creates: l.stamp });
  const configure = cmakeConfigureArgv(s, l);
  const stamp = { key: l.key, source: s.source, ...buildFingerprint(s, slurm), cmake: configure.slice(5) };
  return [
    { kind: "download", url: s.source.url, sha256: s.source.sha256, path: l.archive, mode: 0o644 },
    { kind: "dir", path: l.src, mode: 0o755 },
    step("unpack", ["tar", "-xzf", l.archive, "-C", l.src, "--strip-components=1", "--no-same-owner"]),
    step("configure", configure),
    step("build", ["cmake", "--build", l.build]),
    step("install", ["cmake", "--install", l.build]),
    step(`check ${s.library}`, ["test", "-f", l.library]),
    step(`check ${s.wrapper}`, ["test", "-x", l.wrapper]),
    { kind: "file", path: l.stamp, content: JSON.stringify(stamp, null, 2) + "\n", mode: 0o644, owner: "root", group: "root" },
  ];
}
