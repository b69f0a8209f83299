import type { SpankLayout } from "./layout.js";

/**
 * The plugin's `script=` on this node: it implements the plugin's wrapper contract itself
 * (`<script> <container> <command...>`, SLURM_SINGULARITY_{GLOBAL,ARGS,BIND} split on spaces, as upstream
 * does) instead of handing over to the build's wrapper, because upstream's wrapper prints its start line on
 * stdout in the releases before v3.2.0 (a job's stdout belongs to the job: Workbench parses it) and always
 * calls `singularity`, which an Apptainer-only node may not have. Registration is one line shared by every
 * node, so what differs per node lives here: NVIDIA GPU nodes add `--nv` (the host's driver libraries).
 */
export function nodeWrapperScript(l: SpankLayout, gpu: boolean): string {
  const lines = [
    "#!/bin/sh",
    "# Managed by pwb-agent (spank component): the singularity-exec plugin's script= on this node.",
    `# Built plugin: ${l.registeredLibrary}`,
    "set -f",
    'container="$1"',
    "shift",
    '[ -e "$container" ] || { echo "Error: container image $container missing" >&2; exit 1; }',
    "# Apptainer, or SingularityCE where that is what the node has.",
    'runtime="$(command -v apptainer || command -v singularity)" || { echo "Error: neither apptainer nor singularity on PATH" >&2; exit 1; }',
  ];
  if (gpu) {
    lines.push(
      "# NVIDIA GPU node: give every container the host's driver libraries.",
      'SLURM_SINGULARITY_ARGS="--nv${SLURM_SINGULARITY_ARGS:+ $SLURM_SINGULARITY_ARGS}"',
    );
  }
  lines.push(
    "# The job's PATH and libraries inside the container, as upstream's wrapper passes them.",
    'APPTAINERENV_PREPEND_PATH="$PATH"',
    'APPTAINERENV_LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"',
    "export APPTAINERENV_PREPEND_PATH APPTAINERENV_LD_LIBRARY_PATH",
    'echo "Start container image $container" >&2',
    '# shellcheck disable=SC2086 # split on spaces on purpose, as the plugin documents',
    'exec "$runtime" $SLURM_SINGULARITY_GLOBAL exec --bind="$SLURM_SINGULARITY_BIND" $SLURM_SINGULARITY_ARGS "$container" "$@"',
  );
  return lines.join("\n") + "\n";
}
