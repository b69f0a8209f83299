import type { ApptainerSite } from "../../site/sections/apptainer.js";

export const APPTAINER_CONF = "/etc/apptainer/apptainer.conf";

/**
 * The whole apptainer.conf, owned by the agent: what `plan` shows is exactly what nodes run.
 * Directives left out take Apptainer's built-in defaults (its parser defaults every directive),
 * and the package marks the file %config(noreplace), so upgrades keep it.
 */
export function apptainerConf(a: ApptainerSite, gpu: boolean): string {
  const lines = [
    "# Managed by pwb-agent (apptainer component): local edits are overwritten.",
    "# Directives not listed here take Apptainer's built-in defaults.",
    "",
    "# setuid starter only with the apptainer-suid package (apptainer.suid in the site config);",
    "# otherwise containers run in unprivileged user namespaces.",
    `allow setuid = ${a.suid ? "yes" : "no"}`,
  ];
  if (a.suid) {
    lines.push(
      "# Many sessions of one image on a node: share one loop device per image instead of one each.",
      "shared loop devices = yes",
      "max loop devices = 256",
    );
  }
  lines.push(
    "",
    "# Sessions need the user's home and the binds the launcher and the SPANK plugin ask for.",
    "mount home = yes",
    "mount tmp = yes",
    "mount hostfs = no",
    "user bind control = yes",
    "bind path = /etc/localtime",
    "bind path = /etc/hosts",
    "",
    gpu
      ? "# NVIDIA GPU node: every container gets the host's driver libraries (same as --nv), also for\n# sessions Workbench starts with Apptainer directly rather than through the SPANK plugin."
      : "# No GPU on this node.",
    `always use nv = ${gpu ? "yes" : "no"}`,
  );
  return lines.join("\n") + "\n";
}
