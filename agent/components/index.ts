import type { Resource } from "../engine/types.js";
import type { Facts } from "../facts/types.js";
import type { Logger } from "../log.js";
import type { SiteConfig } from "../site/types.js";
import type { Component, GatherContext } from "./types.js";
import { siteFileComponent } from "./site-file/index.js";
import { unitsComponent } from "./units/index.js";
import { apptainerComponent } from "./apptainer/index.js";
import { cudaComponent } from "./cuda/index.js";
import { imagesComponent } from "./images/index.js";
import { logsComponent } from "./logs/index.js";
import { runtimesComponent } from "./runtimes/index.js";
import { spankComponent } from "./spank/index.js";
import { workbenchComponent } from "./workbench/index.js";

/** The image a container job gets without asking (doctor --e2e runs one on each container partition). */
export { defaultImage } from "./images/default-image.js";

/** Each component has its own input type; the registry holds them all. */
export type AnyComponent = Component<any, any>;

/** Every component, in the order their resources are applied. */
// Containers after Workbench (it creates the image directory); CUDA before Apptainer and the SPANK
// plugin, so a GPU node has its driver before containers are set up to use it.
export const COMPONENTS: readonly AnyComponent[] = [
  unitsComponent, siteFileComponent, runtimesComponent, workbenchComponent, cudaComponent, apptainerComponent, spankComponent, imagesComponent, logsComponent,
];

/** The components this node runs: its role, `only`, and (for those that need one) a site config. */
export function activeComponents(facts: Facts, site: SiteConfig | null, only?: readonly string[], log?: Logger): AnyComponent[] {
  return COMPONENTS.filter((c) => {
    if (!c.roles.includes(facts.role) || (only && !only.includes(c.name))) return false;
    if (c.needsSite && site === null) {
      log?.info({ component: c.name }, `skipping component ${c.name}: it needs a site config (--site FILE)`);
      return false;
    }
    return true;
  });
}

/** Runs each active component's gather step (reads, bounded waits, key generation in memory). */
export async function gatherInputs(components: readonly AnyComponent[], facts: Facts, site: SiteConfig | null, ctx: GatherContext): Promise<Map<string, unknown>> {
  const inputs = new Map<string, unknown>();
  for (const c of components) {
    if (c.gather && site !== null) inputs.set(c.name, await c.gather(facts, site, ctx));
  }
  return inputs;
}

/** The desired state of this node: a pure function of (facts, site, gathered inputs). */
export function desiredState(
  facts: Facts,
  site: SiteConfig | null,
  only?: readonly string[],
  inputs: ReadonlyMap<string, unknown> = new Map(),
  components: readonly AnyComponent[] = activeComponents(facts, site, only),
): Resource[] {
  return components.flatMap((c) => {
    if (c.gather && !inputs.has(c.name)) throw new Error(`component ${c.name}: wants() called without its gathered inputs`);
    return c.wants(facts, site, inputs.get(c.name));
  });
}

/** The image phase of every component that has one (bake: all roles; the site is required). */
export async function imageState(facts: Facts, site: SiteConfig, ctx: GatherContext, only?: readonly string[]): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const c of COMPONENTS) {
    if (!c.image || (only && !only.includes(c.name))) continue;
    const inputs = c.image.gather ? await c.image.gather(facts, site, ctx) : undefined;
    out.push(...c.image.wants(facts, site, inputs));
  }
  return out;
}
