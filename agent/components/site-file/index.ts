import type { Resource } from "../../engine/types.js";
import { DEFAULT_SITE_PATH } from "../../site/load.js";
import type { Component } from "../types.js";

/**
 * Keeps the site config this apply used at /etc/pwb-agent/site.yaml. The first boot may get it from
 * `--site s3://…` (the OnNodeConfigured action); every later boot runs `pwb-agent apply` from
 * pwb-agent.service without --site, and must converge to the same site, not skip Workbench.
 * Loaded from that path already: same bytes, no change.
 */
export const siteFileComponent: Component = {
  name: "site-file",
  roles: ["head", "login", "compute"],
  needsSite: true,
  wants(_facts, site): Resource[] {
    if (site === null) return [];
    // No secrets in it (only references to them), but internal host names: not world-readable.
    return [{ kind: "file", path: DEFAULT_SITE_PATH, content: site.text, mode: 0o640, owner: "root", group: "root" }];
  },
};
