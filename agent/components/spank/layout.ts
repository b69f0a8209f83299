import { createHash } from "node:crypto";
import path from "node:path";
import type { SpankSite } from "../../site/sections/spank.js";
import type { SlurmHeaders } from "./slurm-version.js";

/** Where everything of the plugin lives on a node, for one (source, Slurm series, options) build. */
export interface SpankLayout {
  /** `slurm-<series>-<source sha256[:12]>-<options hash[:8]>`: a new key is a new build. */
  key: string;
  archive: string;
  src: string;
  build: string;
  /** CMAKE_INSTALL_PREFIX of this build: `<installDir>/<key>`. */
  prefix: string;
  library: string;
  wrapper: string;
  /** Written after a successful build + install; its presence skips every build step. */
  stamp: string;
  /** `<installDir>/current` → `<key>`: flipped atomically, so running jobs keep the old .so mapped. */
  current: string;
  /** The plugin's script=: a per-node file (GPU nodes add --nv) that hands over to the build's wrapper. */
  nodeWrapper: string;
  /** What registration references: stable across rebuilds, through `current`. */
  registeredLibrary: string;
  registeredWrapper: string;
}

/** What the key hashes: every input that changes the built binary (not where it is registered or bound). */
export function buildFingerprint(s: SpankSite, slurm: SlurmHeaders): Record<string, string> {
  return { sourceSha256: s.source.sha256, slurmSeries: slurm.series, slurmInclude: s.slurmInclude, library: s.library, wrapper: s.wrapper, buildType: "RelWithDebInfo" };
}

/** The paths that stay put across builds (registration goes through `current`): no Slurm headers needed. */
export function spankStablePaths(s: SpankSite): Pick<SpankLayout, "current" | "nodeWrapper" | "registeredLibrary" | "registeredWrapper"> {
  const current = path.posix.join(s.installDir, "current");
  return {
    current,
    nodeWrapper: path.posix.join(s.installDir, "node-wrapper.sh"),
    registeredLibrary: path.posix.join(current, "libexec", s.library),
    registeredWrapper: path.posix.join(current, "libexec", s.wrapper),
  };
}

export function spankLayout(s: SpankSite, slurm: SlurmHeaders): SpankLayout {
  const hash = createHash("sha256").update(JSON.stringify(buildFingerprint(s, slurm))).digest("hex");
  const key = `slurm-${slurm.series}-${s.source.sha256.slice(0, 12)}-${hash.slice(0, 8)}`;
  const j = path.posix.join;
  const work = j(s.workDir, "builds", key);
  const prefix = j(s.installDir, key);
  return {
    ...spankStablePaths(s),
    key,
    archive: j(s.workDir, "archives", `${s.source.sha256}.tar.gz`),
    src: j(work, "src"),
    build: j(work, "build"),
    prefix,
    library: j(prefix, "libexec", s.library),
    wrapper: j(prefix, "libexec", s.wrapper),
    stamp: j(prefix, "pwb-build.json"),
  };
}
