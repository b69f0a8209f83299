import { BadInputError } from "../../errors.js";
import type { Resource } from "../../engine/types.js";
import type { Facts } from "../../facts/types.js";
import type { CudaSite } from "../../site/sections/cuda.js";
import { compareVersions, type CudaInputs } from "./gather.js";
import { cudaRepoResources } from "./repo.js";

/** The packages this GPU node still needs: never what the AMI already has (ParallelCluster's ship driver + toolkit). */
export function missingCudaPackages(c: CudaSite, have: CudaInputs): string[] {
  const packages: string[] = [];
  if (c.driver && !have.driver) packages.push(c.driverPackage);
  if (c.toolkit !== null && !have.toolkits.includes(c.toolkit)) packages.push(`cuda-toolkit-${c.toolkit.replace(".", "-")}`);
  if (c.cudnn && !have.cudnn) {
    const toolkit = c.toolkit ?? [...have.toolkits].sort(compareVersions).at(-1);
    if (toolkit === undefined) throw new BadInputError("cuda.cudnn: expected cuda.toolkit, or a CUDA toolkit on the node, to pick the cuDNN build");
    packages.push(`cudnn9-cuda-${toolkit.split(".")[0]}`);
  }
  return packages;
}

/** Compute nodes with an NVIDIA GPU only: nothing at all anywhere else, and nothing when all is there. */
export function cudaResources(facts: Facts, c: CudaSite, mirror: { url: string } | null, have: CudaInputs, checksums: Record<string, string> = {}): Resource[] {
  if (facts.role !== "compute" || facts.gpu?.vendor !== "nvidia") return [];
  return cudaImageResources(facts, c, mirror, have, checksums);
}

/**
 * The image phase: what the site asks for (driver, toolkit, cuDNN), whatever the build instance has
 * for a GPU: installing the driver needs none, and one AMI serves CPU and GPU nodes.
 */
export function cudaImageResources(facts: Facts, c: CudaSite, mirror: { url: string } | null, have: CudaInputs, checksums: Record<string, string> = {}): Resource[] {
  const packages = missingCudaPackages(c, have);
  if (packages.length === 0) return [];
  return [...cudaRepoResources(facts.os, c, mirror, packages[0]!, checksums), { kind: "packages", label: "cuda", items: packages.map((name) => ({ name })) }];
}
