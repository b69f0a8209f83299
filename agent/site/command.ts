import type { Root } from "../engine/root.js";
import type { Facts } from "../facts/types.js";
import type { Logger } from "../log.js";
import { loadSite } from "./load.js";
import type { SiteConfig } from "./types.js";

/** What `--site` looks like on a command's options (global flag). */
export interface SiteOption {
  site?: string;
}

/** The site config for plan/apply/doctor: --site, else /etc/pwb-agent/site.yaml under the root, else null. */
export function siteForCommand(o: SiteOption, root: Root, facts: Facts, log: Logger): Promise<SiteConfig | null> {
  return loadSite({ site: o.site, root, region: facts.cluster.region ?? facts.instance.region, log });
}
