import { array, literal, strictObject, string, union, type output } from "zod";
import { expected, fileName, artifactUrl, nodePath, sha256Hex } from "./fields.js";

/*
 * spank: — the slurm-singularity-exec SPANK plugin (`srun/sbatch/salloc --singularity-container=…`).
 * The agent never ships the plugin: it fetches this pinned source archive, verifies it, and builds it
 * on each node against the cluster's Slurm headers.
 *
 *   spank:
 *     source:
 *       url: https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/v3.2.0.tar.gz
 *       sha256: 0c3e…
 *     slurmInclude: /opt/slurm/include        # <dir>/slurm/spank.h and slurm_version.h
 *     installDir: /usr/local/lib/pwb-agent/spank   # outside /opt/slurm: the head node's share hides that on other nodes
 *     workDir: /var/lib/pwb-agent/spank       # archives and build trees
 *     library: slurm-singularity-exec.so      # what the project's CMake installs (CMake PROJECT_NAME + .so)
 *     wrapper: slurm-singularity-wrapper.sh
 *     defaultImage: ""                        # empty: a job runs on the host unless it asks for a container
 *     bind: [/scratch]                        # added to containers.bind for every container job
 *     args: ""                                # default `apptainer exec` arguments; "disabled" turns --singularity-args off
 *
 * Registration (plugstack.conf next to slurm.conf) is written by the head node only.
 */
const plugstackValue = (what: string) =>
  string(expected(what)).refine((s) => !/["\r\n\0]/.test(s) && s.trim() === s, expected(`${what} without double quotes or line breaks`));

export const spankSection = strictObject({
  source: strictObject({ url: artifactUrl, sha256: sha256Hex }),
  slurmInclude: nodePath.default("/opt/slurm/include"),
  installDir: nodePath.default("/usr/local/lib/pwb-agent/spank"),
  workDir: nodePath.default("/var/lib/pwb-agent/spank"),
  library: fileName.default("slurm-singularity-exec.so"),
  wrapper: fileName.default("slurm-singularity-wrapper.sh"),
  defaultImage: union([literal(""), nodePath], expected('"" or the absolute path of a .sif image')).default(""),
  bind: array(nodePath, expected("a list of absolute paths")).default([]),
  args: plugstackValue("apptainer exec arguments").default(""),
});

export interface SpankSite {
  source: { url: string; sha256: string };
  slurmInclude: string;
  installDir: string;
  workDir: string;
  library: string;
  wrapper: string;
  defaultImage: string;
  /** Extra bind paths, after containers.bind. */
  bind: string[];
  /** `disabled` or the default arguments (may be empty). */
  args: string;
}

export function resolveSpank(p: output<typeof spankSection> | undefined): SpankSite | null {
  if (p === undefined) return null;
  return { ...p, source: { url: p.source.url, sha256: p.source.sha256.toLowerCase() }, bind: [...p.bind] };
}
