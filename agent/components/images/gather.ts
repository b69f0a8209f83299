import { createHash } from "node:crypto";
import path from "node:path";
import type { Root } from "../../nodefs/root.js";
import { RuntimeFailure } from "../../errors.js";
import type { SessionImage } from "../../site/sections/images.js";

/** What is in the image directory now, per configured image. */
export interface ImageState {
  name: string;
  /** The sidecar's text: the source the image there was made from. */
  recorded: string | null;
  present: boolean;
  /** Definition builds: sha256 of the definition file, so an edited definition rebuilds. */
  definitionSha256: string | null;
}

export function imagePaths(dir: string, name: string) {
  return {
    image: path.posix.join(dir, `${name}.sif`),
    // Hidden and not *.sif: Workbench lists the directory's images, and must never offer a half-written one.
    partial: path.posix.join(dir, `.${name}.sif.partial`),
    sidecar: path.posix.join(dir, `.${name}.sif.source`),
  };
}

export async function gatherImages(root: Root, dir: string, images: readonly SessionImage[]): Promise<ImageState[]> {
  return Promise.all(
    images.map(async (img) => {
      const p = imagePaths(dir, img.name);
      let definitionSha256: string | null = null;
      if (img.kind === "build") {
        const def = await root.readBytes(img.definition);
        if (def === null) throw new RuntimeFailure(`images: definition file ${img.definition} (image ${img.name}) not found on this node`);
        definitionSha256 = createHash("sha256").update(def).digest("hex");
      }
      return { name: img.name, recorded: await root.readText(p.sidecar), present: (await root.lstat(p.image))?.isFile() ?? false, definitionSha256 };
    }),
  );
}
