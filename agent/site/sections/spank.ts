import { array, literal, strictObject, string, union, type output } from "zod";
import { absolutePath, artifactUrl, expected, fileName, sha256Hex } from "../fields.js";

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
  slurmInclude: absolutePath.default("/opt/slurm/include"),
  installDir: absolutePath.default("/usr/local/lib/pwb-agent/spank"),
  workDir: absolutePath.default("/var/lib/pwb-agent/spank"),
  library: fileName.default("slurm-singularity-exec.so"),
  wrapper: fileName.default("slurm-singularity-wrapper.sh"),
  defaultImage: union([literal(""), absolutePath], expected('"" or the absolute path of a .sif image')).default(""),
  bind: array(absolutePath, expected("a list of absolute paths")).default([]),
  args: plugstackValue("apptainer exec arguments").default(""),
});

/** `bind`: extra bind paths, after containers.bind; `args`: `disabled` or the default arguments (may be empty). */
export type SpankSite = output<typeof spankSection>;
