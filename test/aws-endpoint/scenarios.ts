// Ready-made accounts: a ParallelCluster cluster with login pools behind their NLBs (tagged and
// named as ParallelCluster does), the Workbench target group `alb ensure` would make, and crowds of
// other load balancers. Used by the tests, the benchmark and `npm run aws-endpoint -- --scenario`.
import { defaultAlbName, loginPoolTargetGroupName } from "../../agent/alb/names.js";
import { PC_TAG_CLUSTER, PC_TAG_POOL, PWB_MANAGED_BY, PWB_TAG_CLUSTER, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE } from "../../agent/alb/types.js";
import type { AwsModel, LoadBalancer, TargetGroup, TargetHealthState } from "./model.js";

export interface LoginPool {
  name: string;
  nlb: LoadBalancer;
  targetGroup: TargetGroup;
  instances: string[];
}

export interface LoginCluster {
  cluster: string;
  pools: LoginPool[];
  workbench: TargetGroup | null;
}

export interface LoginClusterOptions {
  cluster?: string;
  pools?: Array<{ name: string; nodes: number }>;
  /** Other clusters' NLBs in the account, placed before ours (so a tag scan must page through them). */
  otherLoadBalancers?: number;
  /** ParallelCluster 3.7 named the NLB target group through CloudFormation: no deterministic name. */
  legacyNames?: boolean;
  /** Also create the Workbench target group (empty), as `alb ensure` would. Default true. */
  workbench?: boolean;
  /** NLB state of the login nodes (default healthy). */
  state?: TargetHealthState;
}

function loginNodeTags(cluster: string, pool: string): Record<string, string> {
  return {
    [PC_TAG_CLUSTER]: cluster,
    "parallelcluster:node-type": "LoginNode",
    "parallelcluster:login-nodes-pool-name": pool,
    Name: "LoginNode",
  };
}

export function addOtherLoadBalancers(model: AwsModel, n: number): void {
  for (let i = 0; i < n; i += 1) {
    const other = `other${String(i).padStart(3, "0")}`;
    model.addLoadBalancer({
      name: `${other}-login-nlb`,
      type: i % 5 === 4 ? "application" : "network",
      tags: { [PC_TAG_CLUSTER]: other, [PC_TAG_POOL]: "login", "parallelcluster:version": "3.13.0" },
    });
  }
}

/** A running login node of the pool, in its NLB target group with this state (default initial). */
export function launchLoginNode(model: AwsModel, cluster: string, pool: LoginPool, state: TargetHealthState = "initial"): string {
  const inst = model.addInstance({ tags: loginNodeTags(cluster, pool.name) });
  model.setTargetHealth(pool.targetGroup.arn, inst.id, state);
  pool.instances.push(inst.id);
  return inst.id;
}

/**
 * What an Auto Scaling replacement looks like from the NLB: the old node is `draining` (the ASG
 * deregistered it; it still runs through its terminating lifecycle hook) and a new one is `initial`.
 */
export function replaceLoginNode(model: AwsModel, cluster: string, pool: LoginPool, oldId: string): string {
  model.setTargetHealth(pool.targetGroup.arn, oldId, "draining");
  pool.instances = pool.instances.filter((i) => i !== oldId);
  return launchLoginNode(model, cluster, pool, "initial");
}

export function seedWorkbenchTargetGroup(model: AwsModel, cluster: string, name = defaultAlbName(cluster)): TargetGroup {
  return model.addTargetGroup({
    name,
    protocol: "HTTP",
    port: 8787,
    healthCheck: { path: "/health-check", intervalSeconds: 15 },
    tags: { [PWB_TAG_CLUSTER]: cluster, [PWB_TAG_ROLE]: "workbench-target-group", [PWB_TAG_MANAGED_BY]: PWB_MANAGED_BY },
  });
}

export function seedLoginCluster(model: AwsModel, o: LoginClusterOptions = {}): LoginCluster {
  const cluster = o.cluster ?? "pwb-demo";
  addOtherLoadBalancers(model, o.otherLoadBalancers ?? 0);
  const pools: LoginPool[] = [];
  for (const p of o.pools ?? [{ name: "login", nodes: 2 }]) {
    const tags = { [PC_TAG_CLUSTER]: cluster, [PC_TAG_POOL]: p.name, "parallelcluster:version": "3.13.0" };
    const nlb = model.addLoadBalancer({ name: `${cluster.slice(0, 10)}-${p.name.slice(0, 6)}-nlb`, type: "network", tags });
    const name = o.legacyNames ? `${cluster.slice(0, 6)}-Login-${model.nextHex(12).toUpperCase()}` : loginPoolTargetGroupName(cluster, p.name);
    const targetGroup = model.addTargetGroup({ name, protocol: "TCP", port: 22, loadBalancerArn: nlb.arn, tags });
    const pool: LoginPool = { name: p.name, nlb, targetGroup, instances: [] };
    for (let i = 0; i < p.nodes; i += 1) launchLoginNode(model, cluster, pool, o.state ?? "healthy");
    pools.push(pool);
  }
  const workbench = o.workbench === false ? null : seedWorkbenchTargetGroup(model, cluster);
  return { cluster, pools, workbench };
}

/** Named starting accounts for the standalone endpoint. */
export const SCENARIOS: Record<string, { describe: string; apply: (m: AwsModel) => void }> = {
  empty: { describe: "no load balancers, instances or parameters", apply: () => {} },
  "login-cluster": {
    describe: "cluster pwb-demo: login pool 'login' with 2 healthy nodes behind its NLB, an empty Workbench target group, SSM parameter /pwb/demo/secret",
    apply: (m) => {
      seedLoginCluster(m);
      m.ssm.putParameter({ Name: "/pwb/demo/secret", Value: "demo-secret-value", Type: "SecureString" });
    },
  },
  "two-pools": {
    describe: "cluster pwb-demo with pools 'login' (2 nodes) and 'gpu' (1 node)",
    apply: (m) => void seedLoginCluster(m, { pools: [{ name: "login", nodes: 2 }, { name: "gpu", nodes: 1 }] }),
  },
  "large-account": {
    describe: "login-cluster plus 500 other clusters' load balancers in the account",
    apply: (m) => void seedLoginCluster(m, { otherLoadBalancers: 500 }),
  },
};

export function applyScenario(model: AwsModel, name: string): void {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`unknown scenario "${name}"; have: ${Object.keys(SCENARIOS).join(", ")}`);
  s.apply(model);
}
