// Which login pools to sync: the operator's flags, else the cluster's own configuration on the
// head node, else (by the caller) a scan of the account's load balancers.
import { parse as parseYaml } from "yaml";
import type { Root } from "../../nodefs/root.js";
import type { Logger } from "../../log.js";

/** The head node's copy of the cluster configuration (with implied values), kept by ParallelCluster. */
export const CLUSTER_CONFIG = "/opt/parallelcluster/shared/cluster-config.yaml";

export type PoolSource = "flags" | "cluster-config" | "discovered";

/** Pool names from `LoginNodes.Pools[].Name`; [] when the cluster has no login nodes; null when unreadable. */
export function poolsFromClusterConfig(text: string): string[] | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  if (typeof doc !== "object" || doc === null) return null;
  const login = (doc as { LoginNodes?: { Pools?: unknown } }).LoginNodes;
  if (login === undefined || login === null) return [];
  const pools = (login as { Pools?: unknown }).Pools;
  if (!Array.isArray(pools)) return [];
  return pools.map((p) => (p as { Name?: unknown })?.Name).filter((n): n is string => typeof n === "string" && n !== "");
}

/** Pools the configuration scales to `Count: 0`: their NLB target group is empty on purpose. */
export function idlePoolsFromClusterConfig(text: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  const pools = (doc as { LoginNodes?: { Pools?: unknown } } | null)?.LoginNodes?.Pools;
  if (!Array.isArray(pools)) return [];
  return pools
    .filter((p) => (p as { Count?: unknown })?.Count === 0)
    .map((p) => (p as { Name?: unknown }).Name)
    .filter((n): n is string => typeof n === "string" && n !== "");
}

export interface ConfiguredPools {
  pools: string[];
  source: PoolSource;
  /** Pools whose empty NLB read is expected (Count: 0), not a short answer. */
  idle?: string[];
}

/** The configured pools, or null when only the API can tell. */
export async function configuredPools(root: Root, flags: string[] | undefined, log: Logger): Promise<ConfiguredPools | null> {
  if (flags?.length) return { pools: [...new Set(flags)], source: "flags" };
  let text: string | null = null;
  try {
    text = await root.readText(CLUSTER_CONFIG);
  } catch (e) {
    log.warn({ file: CLUSTER_CONFIG, err: (e as Error).message }, "cannot read the cluster configuration; discovering login pools through the API");
  }
  if (text === null) return null;
  const pools = poolsFromClusterConfig(text);
  if (pools === null) {
    log.warn({ file: CLUSTER_CONFIG }, "cluster configuration is not valid YAML; discovering login pools through the API");
    return null;
  }
  return { pools, source: "cluster-config", idle: idlePoolsFromClusterConfig(text) };
}
