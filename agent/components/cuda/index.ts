import type { Component } from "../types.js";
import { cudaChecks } from "./checks.js";
import { gatherCuda, type CudaInputs } from "./gather.js";
import { cudaImageResources, cudaResources } from "./plan.js";

/** NVIDIA driver/CUDA/cuDNN on compute nodes whose facts say NVIDIA GPU, only what is missing. */
export const cudaComponent: Component<CudaInputs | null, CudaInputs | null> = {
  name: "cuda",
  roles: ["compute"],
  needsSite: true,
  checks: cudaChecks,
  async gather(facts, site, ctx) {
    if (site.cuda === null || facts.gpu === null) return null;
    return gatherCuda(ctx.root, facts);
  },
  wants(facts, site, inputs) {
    if (site?.cuda == null || inputs === null) return [];
    return cudaResources(facts, site.cuda, site.mirror, inputs, site.checksums);
  },
  image: {
    async gather(facts, site, ctx) {
      return site.cuda === null ? null : gatherCuda(ctx.root, facts);
    },
    wants: (facts, site, inputs) => (site.cuda === null || inputs === null ? [] : cudaImageResources(facts, site.cuda, site.mirror, inputs, site.checksums)),
  },
};
