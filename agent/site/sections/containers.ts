import { array, boolean, strictObject } from "zod";
import { absolutePath, expected, ownDirectory } from "../fields.js";

/*
 * containers: — Singularity/Apptainer images for Slurm sessions (Workbench 2023.12.0 or newer; needs
 * the apptainer: section). The section may be left out.
 *
 *   containers:
 *     enabled: false
 *     imageDirectory: /opt/rstudio/container   # default <storage.workbench>/container (agent/site/resolve.ts)
 *     bind: [/opt/slurm/etc, /opt/slurm/libexec, /var/spool/slurmd, /var/run/munge]   # APPTAINER_BIND
 */
export const containersSection = strictObject({
    enabled: boolean(expected("true or false")).default(false),
    imageDirectory: ownDirectory.optional(),
    bind: array(absolutePath, expected("a list of absolute paths")).default(["/opt/slurm/etc", "/opt/slurm/libexec", "/var/spool/slurmd", "/var/run/munge"]),
  })
  .prefault({});
