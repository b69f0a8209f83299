// Named imports, not the `z` namespace: the namespace keeps every locale in the bundle (~450 KB vs ~85 KB).
import { strictObject, type input, type output, type RefinementCtx } from "zod";
import { absentAsNull } from "./fields.js";
import { atLeast, parseWorkbenchVersion } from "./version.js";
import { albSection } from "./sections/alb.js";
import { apptainerSection } from "./sections/apptainer.js";
import { checksumsSection } from "./sections/checksums.js";
import { containersSection } from "./sections/containers.js";
import { cudaSection } from "./sections/cuda.js";
import { databaseSection } from "./sections/database.js";
import { imagesSection } from "./sections/images.js";
import { mirrorSection } from "./sections/mirror.js";
import { profilesSection } from "./sections/profiles.js";
import { runtimesSection } from "./sections/runtimes.js";
import { slurmSection } from "./sections/slurm.js";
import { spankSection } from "./sections/spank.js";
import { storageSection } from "./sections/storage.js";
import { METRICS_SINCE, telemetrySection } from "./sections/telemetry.js";
import { workbenchSection } from "./sections/workbench.js";

/*
 * The site file's shape: one section per file under sections/ (its YAML, schema, defaults and the
 * normalisation it needs alone), assembled here with the rules that span sections. Every object is
 * strict (an unknown key is an error, so a typo never passes silently), every message starts with what
 * was expected, and defaults make a minimal file ~10 lines.
 */
const siteShape = strictObject({
  workbench: workbenchSection,
  storage: storageSection,
  database: databaseSection,
  alb: absentAsNull(albSection),
  slurm: slurmSection,
  /** null: derived from each cluster's partitions. */
  profiles: absentAsNull(profilesSection),
  containers: containersSection,
  runtimes: runtimesSection,
  mirror: absentAsNull(mirrorSection),
  // Containers and GPUs: absent = that component declares nothing.
  apptainer: absentAsNull(apptainerSection),
  spank: absentAsNull(spankSection),
  cuda: absentAsNull(cudaSection),
  images: imagesSection.default([]),
  /** sha256 pins for bake's artifacts, by mirror path. */
  checksums: checksumsSection.default({}),
  telemetry: telemetrySection,
});

type Shape = output<typeof siteShape>;

export const siteSchema = siteShape.superRefine(crossChecks);

export type SiteInput = input<typeof siteSchema>;
export type SiteParsed = output<typeof siteSchema>;

/**
 * Rules between sections: what containers need, and what a Workbench version supports. A section
 * with problems of its own arrives here untransformed, so only fields both forms share are read.
 */
function crossChecks(s: Shape, ctx: RefinementCtx<Shape>): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

  // Workbench only offers the images; the runtime that runs them (Apptainer) is baked into the AMI from
  // the apptainer: section. Without it every container session fails. (The SPANK plugin is optional:
  // Workbench 2023.12+ starts Slurm sessions in containers itself; the plugin adds --singularity-container.)
  if (s.containers.enabled && s.apptainer == null) {
    issue(["containers", "enabled"], "expected an apptainer: section when containers.enabled is true (the container runtime baked into the image), or containers.enabled: false");
  }

  const version = parseWorkbenchVersion(s.workbench.version);
  if (version) {
    if (s.telemetry.metrics.enabled === true && !atLeast(version, METRICS_SINCE)) {
      issue(["telemetry", "metrics", "enabled"], `expected false: Workbench's Prometheus endpoint needs Workbench ${METRICS_SINCE} or newer`);
    }
    if (s.workbench.ides.positron.enabled && !atLeast(version, "2024.12.0")) {
      issue(["workbench", "ides", "positron", "enabled"], "expected false: Positron sessions need Workbench 2024.12.0 or newer");
    }
    if (s.containers.enabled && !atLeast(version, "2023.12.0")) {
      issue(["containers", "enabled"], "expected false: Singularity/Apptainer sessions on Slurm need Workbench 2023.12.0 or newer");
    }
  }
}
