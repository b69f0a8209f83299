// The in-memory account the endpoint serves: load balancers, target groups, targets and their
// health, listeners, instances, security groups, VPCs, tags, SSM parameters and commands.
import { Route53Model } from "./route53.js";
import { createHash } from "node:crypto";
import { AwsApiError } from "./errors.js";
import { SsmModel } from "./ssm-model.js";
import { S3Model } from "./s3.js";

export const ACCOUNT_ID = "123456789012";

export type LoadBalancerType = "application" | "network" | "gateway";
export type TargetHealthState = "initial" | "healthy" | "unhealthy" | "unhealthy.draining" | "unused" | "draining" | "unavailable";
export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80,
};

export interface LoadBalancer {
  arn: string;
  name: string;
  type: LoadBalancerType;
  scheme: "internal" | "internet-facing";
  vpcId: string;
  subnets: string[];
  securityGroups: string[];
  dnsName: string;
  createdTime: Date;
  state: "active" | "provisioning";
  ipAddressType: string;
}

export interface HealthCheck {
  protocol: string;
  port: string;
  path?: string;
  enabled: boolean;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher?: string;
}

export interface TargetGroup {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  healthCheck: HealthCheck;
  loadBalancerArns: string[];
  attributes: Map<string, string>;
}

export interface RegisteredTarget {
  id: string;
  port: number;
  state: TargetHealthState;
  reason?: string;
  description?: string;
  /** Set while draining after a deregistration: when the model drops the target. */
  drainingUntil?: number;
  /** When RegisterTargets added it (the model's clock), for the health checks that follow. */
  registeredAt?: number;
  /** When a healthy target's node first failed its check: unhealthy after UnhealthyThresholdCount of them. */
  failingSince?: number;
}

export interface ListenerAction {
  Type: string;
  TargetGroupArn?: string;
  /** For `redirect`: AWS's RedirectConfig (unset parts keep the request's own, written #{protocol} etc.). */
  RedirectConfig?: { Protocol: string; Port: string; Host: string; Path: string; Query: string; StatusCode: string };
}

export interface Listener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  certificates: string[];
  sslPolicy?: string;
  defaultActions: ListenerAction[];
}

export interface Instance {
  id: string;
  state: InstanceStateName;
  type: string;
  privateIp: string;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  launchTime: Date;
}

export interface IpPermission {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: Array<{ cidr: string; description?: string }>;
  groups: string[];
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  ingress: IpPermission[];
  egress: IpPermission[];
}

export interface Vpc {
  id: string;
  cidr: string;
}

export const DEFAULT_VPC = "vpc-0abc0000000000001";
export const DEFAULT_SUBNETS = ["subnet-0abc0000000000001", "subnet-0abc0000000000002"];

/** Attribute defaults of a new HTTP/TCP target group (a subset of what AWS returns). */
function defaultAttributes(protocol: string): Map<string, string> {
  const m = new Map<string, string>([
    ["deregistration_delay.timeout_seconds", "300"],
    ["stickiness.enabled", "false"],
  ]);
  if (protocol === "HTTP" || protocol === "HTTPS") {
    m.set("stickiness.type", "lb_cookie");
    m.set("stickiness.lb_cookie.duration_seconds", "86400");
    m.set("load_balancing.algorithm.type", "round_robin");
    m.set("slow_start.duration_seconds", "0");
  } else {
    m.set("stickiness.type", "source_ip");
    m.set("deregistration_delay.connection_termination.enabled", "false");
    m.set("proxy_protocol_v2.enabled", "false");
  }
  return m;
}

export interface ModelOptions {
  region?: string;
  /** State of a freshly registered target (AWS: initial, then healthy once health checks pass). */
  registeredState?: TargetHealthState;
  /** How long a deregistered target stays `draining` before it disappears (0: at once). */
  drainMs?: number;
  /**
   * AWS's timing instead of the fixed states above: a registered target stays `initial` until
   * HealthyThresholdCount checks HealthCheckIntervalSeconds apart (the first at registration) pass,
   * and a deregistered one drains for the group's deregistration_delay.timeout_seconds. `probe`
   * says whether the node answers its health check (Workbench up) at that moment.
   */
  healthChecks?: { probe: (id: string, port: number) => boolean };
  /** The model's clock (ms); default Date.now. A faster clock compresses AWS's timing in a benchmark. */
  clock?: () => number;
}

export class AwsModel {
  readonly region: string;
  readonly account = ACCOUNT_ID;
  registeredState: TargetHealthState;
  drainMs: number;
  healthChecks: ModelOptions["healthChecks"] | null;
  clock: () => number;

  readonly loadBalancers = new Map<string, LoadBalancer>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly targets = new Map<string, Map<string, RegisteredTarget>>();
  readonly listeners = new Map<string, Listener>();
  readonly instances = new Map<string, Instance>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly vpcs = new Map<string, Vpc>();
  /** Tags by resource id (ELB ARN, instance id, security group id). */
  readonly tags = new Map<string, Map<string, string>>();
  readonly ssm: SsmModel;
  /** S3 objects (a mirror's artifacts and SHA256SUMS). */
  readonly s3 = new S3Model();
  /** Route 53 hosted zones and their records. */
  readonly route53 = new Route53Model();
  /** What the IMDS side answers. */
  imds = {
    instanceId: "i-0abc0000000000010",
    instanceType: "m6i.xlarge",
    availabilityZone: "",
    localIpv4: "10.0.0.10",
    roleName: "pwb-head-node-role",
    /** `autoscaling/target-lifecycle-state` (InService, Terminated, …); null: not in an Auto Scaling group (404). */
    targetLifecycleState: null as string | null,
  };

  private seq = 0;

  constructor(opts: ModelOptions = {}) {
    this.region = opts.region ?? "eu-west-1";
    this.registeredState = opts.registeredState ?? "initial";
    this.drainMs = opts.drainMs ?? 0;
    this.healthChecks = opts.healthChecks ?? null;
    this.clock = opts.clock ?? Date.now;
    this.imds.availabilityZone = `${this.region}a`;
    this.ssm = new SsmModel(this);
    this.addVpc({ id: DEFAULT_VPC, cidr: "10.0.0.0/16" });
  }

  /** Deterministic ids, so test failures are reproducible. */
  nextHex(len: number): string {
    this.seq += 1;
    return createHash("sha256").update(`pwb-endpoint-${this.seq}`).digest("hex").slice(0, len);
  }

  elbArn(resource: string): string {
    return `arn:aws:elasticloadbalancing:${this.region}:${this.account}:${resource}`;
  }

  // ---- tags ----------------------------------------------------------------------------------

  setTags(resourceId: string, tags: Record<string, string> | Map<string, string>): void {
    let m = this.tags.get(resourceId);
    if (!m) this.tags.set(resourceId, (m = new Map()));
    for (const [k, v] of tags instanceof Map ? tags : Object.entries(tags)) m.set(k, v);
  }

  tagsOf(resourceId: string): Record<string, string> {
    return Object.fromEntries(this.tags.get(resourceId) ?? []);
  }

  // ---- seeding helpers ----------------------------------------------------------------------

  addVpc(o: { id?: string; cidr?: string }): Vpc {
    const vpc = { id: o.id ?? `vpc-${this.nextHex(17)}`, cidr: o.cidr ?? "10.1.0.0/16" };
    this.vpcs.set(vpc.id, vpc);
    return vpc;
  }

  addInstance(o: { id?: string; state?: InstanceStateName; tags?: Record<string, string>; type?: string } = {}): Instance {
    const id = o.id ?? `i-${this.nextHex(17)}`;
    const n = this.instances.size + 20;
    const inst: Instance = {
      id,
      state: o.state ?? "running",
      type: o.type ?? "t3.xlarge",
      privateIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      vpcId: DEFAULT_VPC,
      subnetId: DEFAULT_SUBNETS[0]!,
      availabilityZone: `${this.region}a`,
      launchTime: new Date("2026-01-30T12:00:00.000Z"),
    };
    this.instances.set(id, inst);
    if (o.tags) this.setTags(id, o.tags);
    return inst;
  }

  addLoadBalancer(o: {
    name: string;
    type?: LoadBalancerType;
    scheme?: "internal" | "internet-facing";
    vpcId?: string;
    subnets?: string[];
    securityGroups?: string[];
    tags?: Record<string, string>;
  }): LoadBalancer {
    const type = o.type ?? "network";
    const id = this.nextHex(16);
    const scheme = o.scheme ?? "internal";
    const lb: LoadBalancer = {
      arn: this.elbArn(`loadbalancer/${type === "application" ? "app" : type === "network" ? "net" : "gwy"}/${o.name}/${id}`),
      name: o.name,
      type,
      scheme,
      vpcId: o.vpcId ?? DEFAULT_VPC,
      subnets: o.subnets ?? DEFAULT_SUBNETS,
      securityGroups: o.securityGroups ?? [],
      dnsName: `${scheme === "internal" ? "internal-" : ""}${o.name}-${id.slice(0, 10)}.${this.region}.elb.amazonaws.com`,
      createdTime: new Date("2026-01-30T12:00:00.000Z"),
      state: "active",
      ipAddressType: "ipv4",
    };
    this.loadBalancers.set(lb.arn, lb);
    if (o.tags) this.setTags(lb.arn, o.tags);
    return lb;
  }

  addTargetGroup(o: {
    name: string;
    protocol?: string;
    port?: number;
    vpcId?: string;
    targetType?: string;
    loadBalancerArn?: string;
    tags?: Record<string, string>;
    healthCheck?: Partial<HealthCheck>;
  }): TargetGroup {
    const protocol = o.protocol ?? "TCP";
    const http = protocol === "HTTP" || protocol === "HTTPS";
    const tg: TargetGroup = {
      arn: this.elbArn(`targetgroup/${o.name}/${this.nextHex(16)}`),
      name: o.name,
      protocol,
      port: o.port ?? 22,
      vpcId: o.vpcId ?? DEFAULT_VPC,
      targetType: o.targetType ?? "instance",
      healthCheck: {
        protocol: http ? "HTTP" : "TCP",
        port: "traffic-port",
        enabled: true,
        intervalSeconds: 30,
        timeoutSeconds: http ? 5 : 10,
        healthyThreshold: 5,
        unhealthyThreshold: 2,
        ...(http ? { path: "/", matcher: "200" } : {}),
        ...o.healthCheck,
      },
      loadBalancerArns: o.loadBalancerArn ? [o.loadBalancerArn] : [],
      attributes: defaultAttributes(protocol),
    };
    this.targetGroups.set(tg.arn, tg);
    this.targets.set(tg.arn, new Map());
    if (o.tags) this.setTags(tg.arn, o.tags);
    return tg;
  }

  /** Puts a target into a target group (registering it if needed) with this health. */
  setTargetHealth(tgArn: string, id: string, state: TargetHealthState, o: { reason?: string; port?: number } = {}): void {
    const tg = this.requireTargetGroup(tgArn);
    const port = o.port ?? tg.port;
    const reason = o.reason ?? defaultReason(state);
    this.targetMap(tgArn).set(`${id}:${port}`, { id, port, state, ...(reason ? { reason, description: describeReason(reason) } : {}) });
  }

  removeTarget(tgArn: string, id: string): void {
    const m = this.targetMap(tgArn);
    for (const [k, t] of m) if (t.id === id) m.delete(k);
  }

  /** The targets of a group as DescribeTargetHealth would list them now. */
  targetsOf(tgArn: string): RegisteredTarget[] {
    const m = this.targetMap(tgArn);
    const now = this.clock();
    for (const [k, t] of m) if (t.drainingUntil !== undefined && t.drainingUntil <= now) m.delete(k);
    if (this.healthChecks) this.runHealthChecks(tgArn, m.values(), now);
    return [...m.values()];
  }

  /** The state AWS's health checks would have given each registered target by `now`. */
  private runHealthChecks(tgArn: string, targets: Iterable<RegisteredTarget>, now: number): void {
    const hc = this.requireTargetGroup(tgArn).healthCheck;
    const every = hc.intervalSeconds * 1000;
    for (const t of targets) {
      if (t.registeredAt === undefined || t.state === "draining" || t.state === "unused") continue;
      // Probed when read: the node's answer now stands for the checks since the last read.
      const up = this.healthChecks!.probe(t.id, t.port);
      if (up) delete t.failingSince;
      const checks = Math.floor((now - t.registeredAt) / every) + 1; // checks run so far, the first at registration
      const set = (state: TargetHealthState, reason?: string) => {
        t.state = state;
        if (reason) Object.assign(t, { reason, description: describeReason(reason) });
        else {
          delete t.reason;
          delete t.description;
        }
      };
      if (t.state === "initial" && up && checks >= hc.healthyThreshold) set("healthy");
      else if (t.state === "initial" && !up && checks >= hc.unhealthyThreshold) set("unhealthy", "Target.FailedHealthChecks");
      else if (t.state === "healthy" && !up) {
        t.failingSince ??= now;
        if (now - t.failingSince >= (hc.unhealthyThreshold - 1) * every) set("unhealthy", "Target.FailedHealthChecks");
      }
      else if (t.state === "unhealthy" && up) set("healthy");
    }
  }

  /** Every `initial` target of a running instance turns `healthy` (health checks passed). */
  settle(): void {
    for (const [, m] of this.targets) {
      for (const t of m.values()) {
        if (t.state === "initial" && this.instances.get(t.id)?.state !== "terminated") {
          t.state = "healthy";
          delete t.reason;
          delete t.description;
        }
      }
    }
  }

  /** The instance stops existing as a target: `unused` / Target.InvalidState wherever it is registered. */
  terminateInstance(id: string): void {
    const inst = this.instances.get(id);
    if (inst) inst.state = "terminated";
    for (const [, m] of this.targets) {
      for (const t of m.values()) {
        if (t.id === id) {
          t.state = "unused";
          t.reason = "Target.InvalidState";
          t.description = describeReason(t.reason);
        }
      }
    }
  }

  deleteTargetGroup(arn: string): void {
    this.targetGroups.delete(arn);
    this.targets.delete(arn);
    this.tags.delete(arn);
  }

  deleteLoadBalancer(arn: string): void {
    this.loadBalancers.delete(arn);
    this.tags.delete(arn);
    for (const [la, l] of this.listeners) if (l.loadBalancerArn === arn) this.listeners.delete(la);
    for (const tg of this.targetGroups.values()) tg.loadBalancerArns = tg.loadBalancerArns.filter((a) => a !== arn);
  }

  // ---- lookups the handlers share -----------------------------------------------------------

  requireTargetGroup(arn: string): TargetGroup {
    const tg = this.targetGroups.get(arn);
    if (!tg) throw new AwsApiError("TargetGroupNotFound", `Target groups '${arn}' not found`);
    return tg;
  }

  requireLoadBalancer(arn: string): LoadBalancer {
    const lb = this.loadBalancers.get(arn);
    if (!lb) throw new AwsApiError("LoadBalancerNotFound", `Load balancers '${arn}' not found`);
    return lb;
  }

  targetMap(tgArn: string): Map<string, RegisteredTarget> {
    this.requireTargetGroup(tgArn);
    let m = this.targets.get(tgArn);
    if (!m) this.targets.set(tgArn, (m = new Map()));
    return m;
  }
}

function defaultReason(state: TargetHealthState): string | undefined {
  switch (state) {
    case "initial":
      return "Elb.RegistrationInProgress";
    case "unhealthy":
      return "Target.FailedHealthChecks";
    case "draining":
      return "Target.DeregistrationInProgress";
    case "unused":
      return "Target.NotInUse";
    case "unavailable":
      return "Target.HealthCheckDisabled";
    default:
      return undefined;
  }
}

const REASON_TEXT: Record<string, string> = {
  "Elb.RegistrationInProgress": "Target registration is in progress",
  "Target.FailedHealthChecks": "Health checks failed",
  "Target.DeregistrationInProgress": "Target deregistration is in progress",
  "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
  "Target.InvalidState": "Target is in the stopped or terminated state",
  "Target.HealthCheckDisabled": "Health checks are disabled",
  "Target.NotRegistered": "Target is not registered to the target group",
};

export function describeReason(reason: string): string {
  return REASON_TEXT[reason] ?? reason;
}
