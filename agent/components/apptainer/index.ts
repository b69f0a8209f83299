import type { Component } from "../types.js";
import { apptainerChecks } from "./checks.js";
import { apptainerPackageResources, apptainerResources } from "./plan.js";

/** Apptainer on every node that runs or prepares containers; only when the site has an `apptainer:` section. */
export const apptainerComponent: Component = {
  name: "apptainer",
  roles: ["head", "login", "compute"],
  needsSite: true,
  checks: apptainerChecks,
  wants(facts, site) {
    if (site?.apptainer == null) return [];
    return apptainerResources(facts, site.apptainer, site.mirror);
  },
  image: {
    wants: (facts, site) => (site.apptainer === null ? [] : apptainerPackageResources(facts, site.apptainer, site.mirror)),
  },
};
