// Shared vocabulary of the ALB sync and `alb ensure`: tag keys, settings, target observations.

/** Tags ParallelCluster puts on a login pool's NLB and its target group (aws-parallelcluster CLI: login_nodes_stack.py, models/cluster.py). */
export const PC_TAG_CLUSTER = "parallelcluster:cluster-name";
export const PC_TAG_POOL = "parallelcluster:login-nodes-pool";
/** The pool tag ParallelCluster puts on the login node instances themselves. */
export const PC_TAG_INSTANCE_POOL = "parallelcluster:login-nodes-pool-name";

/** Tags `alb ensure` puts on everything it creates, and finds it again by. */
export const PWB_TAG_CLUSTER = "pwb:cluster-name";
export const PWB_TAG_ROLE = "pwb:role";
/** Constant tag the IAM policies key their conditions on (agent/pcluster/iam-alb.ts). */
export const PWB_TAG_MANAGED_BY = "pwb:managed-by";
export const PWB_MANAGED_BY = "pwb-agent";

export type PwbRole = "workbench-alb" | "workbench-target-group" | "workbench-listener" | "workbench-alb-security-group";

/**
 * The Workbench ALB, its listener, security group and target group: one typed record whatever the
 * source. `resolveAlbSources` (agent/alb/sources.ts) fills it from the site's `alb:` section and the
 * flags, flags winning; agent/alb/settings.ts holds the defaults and each field's rule.
 * `alb-sync` needs only `targetGroupName` and `targetPort`.
 */
export interface AlbSettings {
  /** ALB name: ≤32 letters, digits, hyphens; not starting or ending with a hyphen. Default `pwb-<cluster[:19]>-<hash8>`. */
  albName: string;
  /** Workbench target group name (same rules). Default: the same derived name as the ALB. */
  targetGroupName: string;
  /** Name of the ALB's security group. Default `pwb-alb-<cluster>`. */
  securityGroupName: string;
  /** VPC of the ALB, its security group and target group. Required by `ensure`. */
  vpcId: string | null;
  /** The ALB's subnets: at least two, in different Availability Zones. Required by `ensure`. */
  subnets: string[];
  /** ACM certificate or IAM server certificate of the HTTPS listener. Required by `ensure`. */
  certificateArn: string | null;
  /** `internal` (default) or `internet-facing`. */
  scheme: "internal" | "internet-facing";
  /** HTTPS listener port (443). */
  listenerPort: number;
  /** An HTTP listener on 80 answering with a permanent redirect to the HTTPS listener (on by default). */
  httpRedirect: boolean;
  /** Route 53 hosted zone (Z…) of `recordName`; with it, `ensure` keeps an A alias to the ALB. */
  hostedZoneId: string | null;
  /** DNS name users type (workbench.example.com), in that zone. */
  recordName: string | null;
  /** TLS policy of the listener. */
  sslPolicy: string;
  /** Who may reach the listener. Empty (default): the VPC's own CIDR block. */
  ingressCidrs: string[];
  /** Login nodes' security groups that `ensure` opens on `targetPort` to the ALB's security group (optional). */
  targetSecurityGroupIds: string[];
  /** Workbench's port on the login nodes (8787). */
  targetPort: number;
  /** Workbench's health endpoint (`/health-check`), answered 200 when the server is up. */
  healthCheckPath: string;
  healthCheckMatcher: string;
  healthCheckIntervalSeconds: number;
  /** Sticky sessions with the ALB's own cookie (on by default: a Workbench session lives on one node). */
  stickiness: boolean;
  stickinessDurationSeconds: number;
  /** How long the ALB lets requests in flight finish on a deregistered login node. */
  deregistrationDelaySeconds: number;
}

export type AlbSettingsInput = Partial<AlbSettings>;

/** One row of DescribeTargetHealth. */
export interface ObservedTarget {
  id: string;
  port: number;
  /** initial, healthy, unhealthy, unhealthy.draining, unused, draining, unavailable (or a state AWS adds later). */
  state: string;
  reason?: string;
}
