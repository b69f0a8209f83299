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

/**
 * The plugin built for the Slurm headers at hand (the image phase: the image's /opt/slurm at bake; at
 * boot the cluster's, so a different release series builds again). Built already: only the stamp stays
 * declared (its content is still converged), so a baked node needs no archive, compiler or command.
 */
export function spankBuild(facts: Facts, s: SpankSite, inputs: SpankInputs): Resource[] {
  const l = spankLayout(s, inputs.slurm);
  const [download, ...build] = buildResources(s, inputs.slurm, l);
  if (inputs.built) return build.filter((r) => "path" in r && r.path === l.stamp);
  const tools: Resource[] = facts.os.family ? [{ kind: "packages", label: "spank build tools", items: BUILD_TOOLS[facts.os.family].map((name) => ({ name })) }] : [];
  return [download!, ...tools, ...build];
}

/** The image's plugin: its build, and `current` pointing at it, so a node booted from the image can use it. */
export function spankImageResources(facts: Facts, s: SpankSite, inputs: SpankInputs): Resource[] {
  const l = spankLayout(s, inputs.slurm);
  return [...spankBuild(facts, s, inputs), { kind: "symlink", path: l.current, target: l.key }];
}

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
  const resources: Resource[] = [
    ...spankBuild(facts, s, inputs),
    { kind: "symlink", path: l.current, target: l.key, ...(facts.role === "compute" ? { notifies: ["slurmd.service"] } : {}) },
    { kind: "file", path: l.nodeWrapper, content: nodeWrapperScript(l, facts.gpu !== null), mode: 0o755, owner: "root", group: "root" },
  ];
  if (facts.role === "head") {
    const bind = [...new Set([...env.containersBind, ...s.bind])];
    resources.push(...registrationResources(l, { defaultImage: s.defaultImage, bind, args: s.args }, registrationPaths(env.slurmEtc), inputs.plugstack));
  }
  return resources;
}
