import { readFileSync } from "node:fs";
import { osFromRelease } from "../../agent/facts/os.js";
import type { Facts, GpuFacts, OsFacts, Role } from "../../agent/facts/types.js";
import { SIM_OSES, type SimOs } from "../../agent/simulation/node.js";

/** OS facts as the agent derives them from a supported image's os-release. */
export function simOs(os: SimOs): OsFacts {
  return osFromRelease(Object.entries(SIM_OSES[os]).map(([k, v]) => `${k}="${v}"`).join("\n"));
}

/** This machine's OS (the real-Slurm tests build on it). */
export function hostOs(): OsFacts {
  return osFromRelease(readFileSync("/etc/os-release", "utf8"));
}

export const NVIDIA_A10G: GpuFacts = { vendor: "nvidia", count: 1, model: "NVIDIA A10G", driverVersion: null, evidence: ["pci"] };

/** Facts of a ParallelCluster node: role, OS and GPU are what the container components look at. */
export function nodeFacts(role: Role, os: OsFacts, gpu: GpuFacts | null = null): Facts {
  return {
    role,
    roleSource: "override",
    cluster: { name: "pwb-test", region: "eu-west-1", queue: role === "compute" ? (gpu ? "gpu" : "cpu") : null, pool: role === "login" ? "login" : null, headNodeIp: null, scheduler: "slurm", sharedStorageType: "efs" },
    instance: { id: null, type: gpu ? "g5.xlarge" : "m6i.xlarge", region: "eu-west-1", availabilityZone: null, source: "none" },
    os,
    cpus: 4,
    memoryMiB: 16384,
    gpu,
    sources: [],
  };
}
