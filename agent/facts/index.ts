import type { Root } from "../nodefs/root.js";
import type { Logger } from "../log.js";
import { gpuFacts, probeGpu } from "./gpu.js";
import { readHardwareFacts } from "./hardware.js";
import { fetchInstanceIdentity, imdsSettings } from "./imds.js";
import { instanceFacts, readNodeSpec } from "./instance.js";
import { readOsFacts } from "./os.js";
import { NodeReader } from "./reader.js";
import { readRoleFacts } from "./role.js";
import type { Facts, Role } from "./types.js";

export interface GatherOptions {
  /** Filesystem seam: every node file is read through the root's confined methods. */
  root: Root;
  /** --role: wins over the node's files, and lets a node without them be handled. */
  roleOverride?: Role;
  /** The override is the command's own default (bake), not --role: nothing to tell the admin about. */
  roleOverrideIsDefault?: boolean;
  /** Defaults: endpoint http://169.254.169.254 (or $AWS_EC2_METADATA_SERVICE_ENDPOINT), budget 1000 ms. */
  imds: { enabled: boolean; endpoint?: string; budgetMs?: number };
  log: Logger;
}

/**
 * Everything `detect` reports about this node. Throws BadInputError only when the role cannot be
 * told (or dna.json is broken); an unsupported OS, a missing sysfs file or an absent IMDS are
 * reported as facts (supported: false, null), for the caller to judge.
 */
export async function gatherFacts(opts: GatherOptions): Promise<Facts> {
  // IMDS first: it is the only slow source (up to the budget off EC2), so it overlaps the file reads.
  const identityP = fetchInstanceIdentity(imdsSettings(opts.imds), opts.log);
  const reader = new NodeReader(opts.root);
  const [roleFacts, os, hardware, gpuProbe, spec] = await Promise.all([
    readRoleFacts(reader, opts.log, opts.roleOverride, opts.roleOverrideIsDefault === true),
    readOsFacts(reader),
    readHardwareFacts(reader, opts.root.live),
    probeGpu(reader),
    readNodeSpec(reader),
  ]);
  const identity = await identityP;
  const instance = instanceFacts(identity, spec);
  const cluster = { ...roleFacts.cluster, region: roleFacts.cluster.region ?? identity?.region ?? spec.region };
  return {
    role: roleFacts.role,
    roleSource: roleFacts.roleSource,
    cluster,
    instance,
    os,
    cpus: hardware.cpus,
    memoryMiB: hardware.memoryMiB,
    gpu: gpuFacts(gpuProbe, instance.type),
    sources: reader.sources,
  };
}

export type { Facts } from "./types.js";
export { clearImdsTokenCache } from "./imds.js";
