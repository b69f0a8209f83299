import type { Resource } from "../../engine/types.js";
import type { Facts, OsFamily } from "../../facts/types.js";
import type { SpankSite } from "../../site/sections/spank.js";
import { buildResources } from "./build.js";
import type { SpankInputs } from "./gather.js";
import { spankLayout } from "./layout.js";
import { nodeWrapperScript } from "./node-wrapper.js";
import { registrationPaths, registrationResources } from "./register.js";

/** Compilers for the project (C++17, linked with -static-libstdc++: EL keeps that in CRB/PowerTools). */
const BUILD_TOOLS: Record<OsFamily, string[]> = {
  rhel: ["cmake", "make", "gcc-c++", "libstdc++-static"],
  debian: ["cmake", "make", "g++"],
};

export interface SpankEnvironment {
  /** slurm.conf's directory: plugstack.conf is read from there. */
  slurmEtc: string;
  /** containers.bind: the Slurm, spool and munge paths sessions need (shared with Workbench's launcher-env). */
  containersBind: string[];
}

/**
 * Every node builds and installs the plugin for its own Slurm (outside /opt/slurm); only the head node
 * registers it. On compute nodes a new build restarts slurmd (its job prolog/epilog context loads the
 * plugin at start); srun and slurmstepd read plugstack.conf at every step, so registration needs no restart.
 */
export function spankResources(facts: Facts, s: SpankSite, env: SpankEnvironment, inputs: SpankInputs): Resource[] {
  const l = spankLayout(s, inputs.slurm);
  const [download, ...build] = buildResources(s, inputs.slurm, l);
  const tools: Resource[] = facts.os.family ? BUILD_TOOLS[facts.os.family].map((name) => ({ kind: "package", name })) : [];
  // Built already: only the stamp stays declared (its content is still converged).
  const building = inputs.built ? build.filter((r) => "path" in r && r.path === l.stamp) : [download!, ...tools, ...build];
  const resources: Resource[] = [
    ...building,
    { kind: "symlink", path: l.current, target: l.key, ...(facts.role === "compute" ? { notifies: ["slurmd.service"] } : {}) },
    { kind: "file", path: l.nodeWrapper, content: nodeWrapperScript(l, facts.gpu !== null), mode: 0o755, owner: "root", group: "root" },
  ];
  if (facts.role === "head") {
    const bind = [...new Set([...env.containersBind, ...s.bind])];
    resources.push(...registrationResources(l, { defaultImage: s.defaultImage, bind, args: s.args }, registrationPaths(env.slurmEtc), inputs.plugstack));
  }
  return resources;
}
