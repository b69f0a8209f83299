import type { resolveSite } from "./resolve.js";

/**
 * The site configuration (site.yaml) after validation, defaults and derivation: read-only, complete,
 * inferred from the sections' schemas (agent/site/sections/) and resolveSite. `null` where a command
 * runs without one (no --site and no /etc/pwb-agent/site.yaml): components that need a site are then skipped.
 */
export type SiteConfig = ReturnType<typeof resolveSite>;

export type { AlbSite } from "./sections/alb.js";
export type { SecretRef } from "./sections/database.js";
export type { ResourceProfile } from "./sections/profiles.js";
export type { RuntimeVersions } from "./sections/runtimes.js";
export type { LauncherCluster, LauncherUse, Partition } from "./sections/slurm.js";
