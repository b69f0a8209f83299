import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { activeComponents } from "../../agent/components/index.js";
import type { Component } from "../../agent/components/types.js";
import { check, ok, type CheckContext } from "../../agent/doctor/checks.js";
import { nodeChecks } from "../../agent/node/doctor/node-checks.js";
import { checksFor, type DoctorEnv } from "../../agent/node/doctor/role-checks.js";
import type { Role } from "../../agent/facts/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import { NVIDIA_A10G } from "../helpers/node-facts.js";
import { exampleSiteText, factsFor, simSiteYaml } from "../helpers/workbench.js";

const fullSite = () => parseSiteText(exampleSiteText().replace(/^spank:\n/m, "spank:\n  defaultImage: /opt/rstudio/container/r.sif\n"), "site.yaml");
const minimalSite = () => parseSiteText(simSiteYaml("telemetry: { metrics: { enabled: false } }").replace("alb:\n  name: pwb-workbench\n", ""), "site.yaml");

/** Declaring checks runs nothing: a root or runner touched here would throw. */
const env = (role: Role, site = fullSite(), gpu = true): DoctorEnv => ({ root: null as never, runner: null as never, facts: { ...factsFor(role), gpu: gpu ? NVIDIA_A10G : null }, site, siteSource: "", planChanges: async () => [] });
const ids = (role: Role, site = fullSite(), gpu = true) => checksFor(env(role, site, gpu)).map((c) => c.id);
const ctx: CheckContext = { root: null as never, runner: null as never, planChanges: async () => [], now: () => 0 };

const AGENT = ["agent.last-apply", "agent.owed", "agent.drift", "agent.units", "agent.metrics"];

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

  it("are the node's own checks plus the checks of every component active on the role, nothing else", () => {
    const site = fullSite();
    for (const role of ["head", "login", "compute"] as Role[]) {
      const e = env(role, site);
      const declared = [nodeChecks(e.facts, site, ctx), ...activeComponents(e.facts, site).map((c) => c.checks?.(e.facts, site, ctx) ?? {})];
      const expected = declared.flatMap((d) => Object.values(d).flat().map((c) => c.id));
      expect(ids(role, site).sort()).toEqual(expected.sort());
    }
    // Every Workbench, SPANK, Apptainer and GPU check comes from its component, none from the doctor.
    expect(Object.values(nodeChecks(factsFor("compute"), site, ctx)).flat().map((c) => c.id)).toEqual(["site", "service.slurmd", "storage.home", ...AGENT]);
  });

  it("a component's checks appear in their section for the roles it runs on, without a change to the doctor", async () => {
    const probe: Component = {
      name: "probe",
      roles: ["compute"],
      wants: () => [],
      checks: (facts) => ({ platform: [check("probe.mounted", "probe", async () => ok(`on a ${facts.role} node`))] }),
    };
    const compute = env("compute", minimalSite(), false);
    const withProbe = checksFor(compute, [...activeComponents(compute.facts, compute.site), probe]);
    expect(withProbe.map((c) => c.id)).toEqual(["site", "service.rstudio-launcher", "service.rstudio-server", "service.slurmd", "storage.home", "probe.mounted", ...AGENT]);
    expect(await withProbe.find((c) => c.id === "probe.mounted")!.run()).toEqual({ status: "ok", detail: "on a compute node" });
    // Only the components given: the doctor takes the role's active components by default.
    expect(checksFor(env("head", minimalSite(), false), []).map((c) => c.id)).toEqual(["site", "storage.workbench", "storage.home", "slurm.ctld", "alb-sync.fresh", ...AGENT]);
  });

  it("the doctor's assembly reaches components only through the registry and their types; the check framework components use never imports one", () => {
    const imports = (file: string) => [...readFileSync(file, "utf8").matchAll(/^import [^;]*?from "([^"]+)";/gms)].map((m) => path.posix.join(path.posix.dirname(file), m[1]!));
    const tree = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tree(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
    const intoComponents = tree("agent/node/doctor").flatMap((f) => imports(f).filter((i) => i.startsWith("agent/components/")));
    expect(intoComponents.length).toBeGreaterThan(0); // the assembly takes the registry
    expect(intoComponents.filter((i) => !["agent/components/index.js", "agent/components/types.js"].includes(i))).toEqual([]);
    const used = new Set(tree("agent/components").flatMap((f) => imports(f).filter((i) => i.startsWith("agent/doctor/"))).map((i) => i.replace(/\.js$/, ".ts")));
    expect(used).toContain("agent/doctor/checks.ts");
    expect(tree("agent/doctor").filter((f) => imports(f).some((i) => i.startsWith("agent/components/")))).toEqual([]);
  });
});
