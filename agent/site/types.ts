/**
 * The site configuration (site.yaml): validated, defaulted, read-only. The first components need
 * nothing from it; the Workbench, Slurm and runtime components add their sections here.
 */
export type SiteConfig = Readonly<Record<string, unknown>>;

export const EMPTY_SITE: SiteConfig = Object.freeze({});
