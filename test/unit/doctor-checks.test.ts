import { describe, expect, it } from "vitest";
import { checksFor } from "../../agent/doctor/role-checks.js";
import type { Role } from "../../agent/facts/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import { NVIDIA_A10G } from "../helpers/node-facts.js";
import { exampleSiteText, factsFor, simSiteYaml } from "../helpers/workbench.js";

const fullSite = () => parseSiteText(exampleSiteText().replace(/^spank:\n/m, "spank:\n  defaultImage: /opt/rstudio/container/r.sif\n"), "site.yaml");
const minimalSite = () => parseSiteText(simSiteYaml("telemetry: { metrics: { enabled: false } }").replace("alb:\n  name: pwb-workbench\n", ""), "site.yaml");

/** Declaring checks runs nothing: a root or runner touched here would throw. */
const ids = (role: Role, site = fullSite(), gpu = true) =>
  checksFor({ root: null as never, runner: null as never, facts: { ...factsFor(role), gpu: gpu ? NVIDIA_A10G : null }, site, siteSource: "", planChanges: async () => [] }).map((c) => c.id);

const AGENT = ["agent.last-apply", "agent.drift", "agent.units"];

describe("doctor's checks per role", () => {
  it("keep the report's order: site, what the role serves, the platform, what jobs use, GPUs, the agent", () => {
    expect(ids("head")).toEqual([
      "site", "workbench.shared-config", "workbench.keys", "service.rstudio-launcher", "service.rstudio-server", "workbench.database",
      "storage.workbench", "storage.home", "slurm.ctld", "spank.registration", "spank.plugin", "alb-sync.fresh", ...AGENT,
    ]);
    expect(ids("login")).toEqual([
      "site", "workbench.shared-config", "workbench.keys", "workbench.drop-ins", "service.rstudio-launcher", "service.rstudio-server",
      "workbench.health-check", "workbench.launcher", "workbench.metrics", "workbench.database", "storage.workbench", "storage.home", "spank.plugin", ...AGENT,
    ]);
    expect(ids("compute")).toEqual([
      "site", "service.rstudio-launcher", "service.rstudio-server", "service.slurmd", "storage.home",
      "apptainer.version", "apptainer.exec", "spank.wrapper", "gpu.driver", "gpu.nvidia-smi", ...AGENT,
    ]);
  });

  it("leave out what the site or the node does not have: no spank, containers, metrics endpoint or GPU", () => {
    expect(ids("head", minimalSite(), false)).toEqual([
      "site", "workbench.shared-config", "workbench.keys", "service.rstudio-launcher", "service.rstudio-server", "workbench.database",
      "storage.workbench", "storage.home", "slurm.ctld", "alb-sync.fresh", ...AGENT,
    ]);
    expect(ids("login", minimalSite(), false)).toEqual([
      "site", "workbench.shared-config", "workbench.keys", "workbench.drop-ins", "service.rstudio-launcher", "service.rstudio-server",
      "workbench.health-check", "workbench.launcher", "workbench.database", "storage.workbench", "storage.home", ...AGENT,
    ]);
    expect(ids("compute", minimalSite(), false)).toEqual(["site", "service.rstudio-launcher", "service.rstudio-server", "service.slurmd", "storage.home", ...AGENT]);
  });
});
