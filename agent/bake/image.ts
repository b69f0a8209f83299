import { imageState } from "../components/index.js";
import type { GatherContext } from "../components/types.js";
import { handlerFor } from "../engine/handlers.js";
import type { Root } from "../nodefs/root.js";
import type { Resource } from "../engine/types.js";
import type { Facts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";

/**
 * Written by `bake` as its last resource: this root is a baked image. `apply` converges the image phase
 * (as a repair) only on such a root. It names no time, host or version, and not the steps bake took
 * (those depend on what was already there), so a second bake of the same site changes nothing.
 */
export const IMAGE_RECORD = "/var/lib/pwb-agent/image.json";

export interface ImageRecord {
  /** The site sections whose image phase was converged. */
  sections: string[];
}

export function resourceId(r: Resource): string {
  return handlerFor(r).id(r);
}

/** The image phase of every component, plus the record that says this root is a baked image. */
export async function bakeResources(facts: Facts, site: SiteConfig, ctx: GatherContext): Promise<Resource[]> {
  const image = await imageState(facts, site, ctx);
  const sections = ["workbench", "runtimes", ...(["apptainer", "spank", "cuda"] as const).filter((k) => site[k] !== null)];
  const record: ImageRecord = { sections };
  return [...image, { kind: "file", path: IMAGE_RECORD, content: JSON.stringify(record, null, 2) + "\n", mode: 0o644, owner: "root", group: "root" }];
}

/** The record of a baked root, or null when the root was never baked. */
export async function readImageRecord(root: Root): Promise<ImageRecord | null> {
  const text = await root.readText(IMAGE_RECORD);
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as ImageRecord;
    return Array.isArray(parsed.sections) ? parsed : null;
  } catch {
    return null;
  }
}
