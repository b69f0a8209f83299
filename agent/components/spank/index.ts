import path from "node:path";
import type { SiteConfig } from "../../site/types.js";
import type { Component } from "../types.js";
import { spankChecks } from "./checks.js";
import { gatherSpank, type SpankInputs } from "./gather.js";
import { spankLayout } from "./layout.js";
import { spankImageResources, spankResources, type SpankEnvironment } from "./plan.js";

function environment(site: SiteConfig): SpankEnvironment {
  return { slurmEtc: path.posix.dirname(site.slurm.conf), containersBind: site.containers.bind };
}

/**
 * The slurm-singularity-exec SPANK plugin: built on every node for that node's Slurm headers,
 * registered by the head node. Only when the site has a `spank:` section.
 */
export const spankComponent: Component<SpankInputs | null, SpankInputs | null> = {
  name: "spank",
  roles: ["head", "login", "compute"],
  needsSite: true,
  async gather(facts, site, ctx) {
    if (site.spank === null) return null;
    const inputs = await gatherSpank(ctx.root, facts.role, site.spank, environment(site).slurmEtc);
    if (!inputs.built) {
      // The one heavy step allowed at boot: the image's plugin was built for another Slurm release series.
      const l = spankLayout(site.spank, inputs.slurm);
      const inUse = await ctx.root.readlink(l.current);
      const msg = inUse
        ? `spank: the plugin in use (${inUse}) was not built for this cluster's Slurm ${inputs.slurm.version}: building ${l.key}`
        : `spank: no plugin built for Slurm ${inputs.slurm.series} on this node: building ${l.key}`;
      ctx.log.warn({ slurm: inputs.slurm.version, build: l.key, inUse }, msg);
    }
    return inputs;
  },
  image: {
    async gather(facts, site, ctx) {
      if (site.spank === null) return null;
      return gatherSpank(ctx.root, "compute", site.spank, environment(site).slurmEtc);
    },
    wants: (facts, site, inputs: SpankInputs | null) => (site.spank === null || inputs === null ? [] : spankImageResources(facts, site.spank, inputs)),
  },
  checks: spankChecks,
  wants(facts, site, inputs) {
    if (site?.spank == null || inputs === null) return [];
    return spankResources(facts, site.spank, environment(site), inputs);
  },
};
