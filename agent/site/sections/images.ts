import { array, record, strictObject, string, union, type output } from "zod";
import { absolutePath, expected } from "../fields.js";

/*
 * images: — session images the head node puts into containers.imageDirectory (default
 * /opt/rstudio/container), which the launcher profiles offer as `singularity-image-directory`.
 *
 *   images:
 *     - name: r-session-rocky9                      # becomes <imageDirectory>/r-session-rocky9.sif
 *       pull: docker://rstudio/r-session-complete@sha256:4f1c…   # pin a digest: a tag is pulled once
 *     - name: r-session-custom
 *       definition: /opt/rstudio/images/r-session.def             # a file on the head node
 *       buildArgs: { R_VERSION: 4.4.2 }
 *
 * An image is fetched or built again only when its source changes (the source is recorded next to the
 * image in `.<name>.sif.source`); a half-written image never appears under its final name.
 */
const imageName = string(expected("an image name")).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, expected("an image name of letters, digits, '.', '_' or '-'"));
const pullRef = string(expected("an image reference")).regex(
  /^(docker|oras|library|https?):\/\/[^\s"']+$/,
  expected("docker://, oras://, library:// or https:// followed by an image reference"),
);
const buildArgValue = string(expected("a build argument value")).refine((v) => !/[\r\n\0]/.test(v), expected("a single-line build argument value"));

const pullImage = strictObject({ name: imageName, pull: pullRef });
const builtImage = strictObject({
  name: imageName,
  definition: absolutePath,
  buildArgs: record(string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, expected("a build argument name")), buildArgValue).default({}),
});

export const imagesSection = array(union([pullImage, builtImage], expected("{ name, pull: docker://… } or { name, definition: /path.def }")), expected("a list of session images"))
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((img, i) => {
      if (seen.has(img.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `expected a unique image name; "${img.name}" is listed twice` });
      seen.add(img.name);
    });
  })
  .transform((list) =>
    list.map((img) =>
      "pull" in img
        ? { name: img.name, kind: "pull" as const, ref: img.pull }
        : { name: img.name, kind: "build" as const, definition: img.definition, buildArgs: img.buildArgs },
    ),
  );

export type SessionImage = output<typeof imagesSection>[number];
