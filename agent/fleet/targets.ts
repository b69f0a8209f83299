import type { Role } from "../facts/types.js";

/**
 * The EC2 tag value ParallelCluster puts on each node type (`parallelcluster:node-type`); note
 * Compute, where dna.json says ComputeFleet.
 */
export const NODE_TYPE_TAG: Record<Role, string> = { head: "HeadNode", login: "LoginNode", compute: "Compute" };

/** SendCommand Targets: the cluster's instances by ParallelCluster's own tags, one role or all three. */
export function fleetTargets(cluster: string, role?: Role): Array<{ Key: string; Values: string[] }> {
  return [
    { Key: "tag:parallelcluster:cluster-name", Values: [cluster] },
    { Key: "tag:parallelcluster:node-type", Values: role ? [NODE_TYPE_TAG[role]] : [NODE_TYPE_TAG.head, NODE_TYPE_TAG.login, NODE_TYPE_TAG.compute] },
  ];
}
