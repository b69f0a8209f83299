import type { SpankLayout } from "./layout.js";

/**
 * The plugin's `script=` on this node. Registration is one line shared by every node, so what differs
 * per node lives here: on NVIDIA GPU nodes containers get `--nv` (the host's driver libraries); elsewhere
 * nothing GPU-related. It then hands over to the wrapper of the build in use. Prints nothing: anything
 * on stdout ends up in the job's output, which Workbench parses.
 */
export function nodeWrapperScript(l: SpankLayout, gpu: boolean): string {
  const lines = [
    "#!/bin/sh",
    "# Managed by pwb-agent (spank component): the singularity-exec plugin's script= on this node.",
  ];
  if (gpu) {
    lines.push(
      "# NVIDIA GPU node: give every container the host's driver libraries.",
      'SLURM_SINGULARITY_ARGS="--nv${SLURM_SINGULARITY_ARGS:+ $SLURM_SINGULARITY_ARGS}"',
      "export SLURM_SINGULARITY_ARGS",
    );
  }
  lines.push(`exec ${l.registeredWrapper} "$@"`);
  return lines.join("\n") + "\n";
}
