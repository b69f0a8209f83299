import type { SiteConfig } from "../../site/types.js";
import { imagePaths } from "./gather.js";

/** The image a container job gets without asking: the plugin's default, else the site's first session image. */
export function defaultImage(site: SiteConfig): string | null {
  if (site.spank?.defaultImage) return site.spank.defaultImage;
  const first = site.images[0];
  return first ? imagePaths(site.containers.imageDirectory, first.name).image : null;
}
