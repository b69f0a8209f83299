import path from "node:path";
import type { SiteConfig } from "../../site/types.js";
import type { Component } from "../types.js";
import { gatherSpank, type SpankInputs } from "./gather.js";
import { spankResources, type SpankEnvironment } from "./plan.js";

function environment(site: SiteConfig): SpankEnvironment {
  return { slurmEtc: path.posix.dirname(site.slurm.conf), containersBind: site.containers.bind };
}

/**
 * The slurm-singularity-exec SPANK plugin: built on every node for that node's Slurm headers,
 * registered by the head node. Only when the site has a `spank:` section.
 */
export const spankComponent: Component<SpankInputs | null> = {
  name: "spank",
  roles: ["head", "login", "compute"],
  needsSite: true,
  async gather(facts, site, ctx) {
    if (site.spank === null) return null;
    return gatherSpank(ctx.root, facts.role, site.spank, environment(site).slurmEtc);
  },
  wants(facts, site, inputs) {
    if (site?.spank == null || inputs === null) return [];
    return spankResources(facts, site.spank, environment(site), inputs);
  },
};
