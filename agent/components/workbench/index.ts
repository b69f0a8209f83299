import type { Resource } from "../../engine/types.js";
import { artifactFetch, specFor } from "../../artifacts/site-source.js";
import type { Component } from "../types.js";
import { workbenchChecks } from "./checks/index.js";
import { gatherWorkbenchInputs } from "./gather.js";
import type { WorkbenchInputs } from "./inputs.js";
import { loginResources } from "./login/resources.js";
import { WORKBENCH_UNITS } from "./paths.js";
import { workbenchServicesOff } from "./services.js";
import { sharedConfigResources } from "./head/render.js";

/**
 * Posit Workbench behind a load balancer on every login node, configured once:
 * - head: renders the shared configuration on EFS (once, for all login nodes) and keeps the
 *   Workbench services off;
 * - login: points both services at that directory (systemd drop-ins), tunes the node, and runs them,
 *   restarting each only when a file it reads changed (launcher before server);
 * - compute: keeps the services off.
 * `wants` is pure; `gather` (gather.ts, config/state.ts) is the only code here that reads the node.
 *
 * Where things are: head/ renders the shared configuration (render.ts assembles rserver.conf,
 * launcher.conf, the Slurm cluster, profiles, IDE files, telemetry and database.conf); login/ is
 * what a login node declares; config/ is the shared configuration's format (one file, the INI
 * writer and reader, the manifest) and reading it from shared storage (state.ts); checks/ holds
 * doctor's checks; paths.ts, features.ts (what a Workbench version understands) and inputs.ts are
 * shared by all of them.
 */
export const WORKBENCH_PACKAGE = "rstudio-workbench";

export const workbenchComponent: Component<WorkbenchInputs> = {
  name: "workbench",
  roles: ["head", "login", "compute"],
  needsSite: true,
  gather: gatherWorkbenchInputs,
  checks: workbenchChecks,
  // A login node runs both services; the head node writes the shared files owned by rstudio-server.
  imageNeeds(facts) {
    if (facts.role === "login") return WORKBENCH_UNITS.map((name) => ({ kind: "unit" as const, name, package: WORKBENCH_PACKAGE }));
    if (facts.role === "head") return (["user", "group"] as const).map((kind) => ({ kind, name: "rstudio-server", package: WORKBENCH_PACKAGE }));
    return [];
  },
  // Image: the package (a verified file), and its services off: the package enables them wherever it
  // is installed, and only login nodes run Workbench (their node phase enables them).
  image: {
    wants: (facts, site): Resource[] => [
      { kind: "packages", label: "workbench", items: [{ name: WORKBENCH_PACKAGE, version: site.workbench.version, fetch: artifactFetch(specFor("workbench", site.workbench.version, facts.os), site) }] },
      ...workbenchServicesOff(),
    ],
  },
  wants(facts, site, inputs): Resource[] {
    if (site === null) throw new Error("workbench: wants() without a site config");
    if (inputs.role !== facts.role) throw new Error(`workbench: inputs gathered for ${inputs.role}, node is ${facts.role}`);
    switch (inputs.role) {
      case "head":
        return [...workbenchServicesOff(), ...sharedConfigResources(site, inputs)];
      case "login":
        return loginResources(site, inputs);
      case "compute":
        return workbenchServicesOff();
    }
  },
};
