// Elastic Load Balancing v2 (API version 2015-12-01) over awsQuery: the actions pwb-agent and its
// tests use, with AWS's parameter names, result shapes, errors and idempotency rules.
import { AwsApiError, validation } from "./errors.js";
import { LOAD_BALANCER_CHANGES } from "./elbv2-load-balancers.js";
import { LISTENER_ACTIONS } from "./elbv2-listeners.js";
import { applyTags, lbXml, MAX_PAGE, notFoundFor, requireParam, same, tagsParam, type Handler, type Result } from "./elbv2-shared.js";
import type { HealthCheck, LoadBalancer, TargetGroup } from "./model.js";
import { describeReason } from "./model.js";
import { paginate } from "./paging.js";
import type { QueryParams } from "./protocol.js";

export type { Elbv2Context } from "./elbv2-shared.js";
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

function tgXml(tg: TargetGroup): Result {
  const hc = tg.healthCheck;
  const http = tg.protocol === "HTTP" || tg.protocol === "HTTPS";
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    HealthCheckPath: hc.path,
    Matcher: hc.matcher ? { HttpCode: hc.matcher } : undefined,
    LoadBalancerArns: tg.loadBalancerArns,
    TargetType: tg.targetType,
    ProtocolVersion: http ? "HTTP1" : undefined,
    IpAddressType: "ipv4",
  };
}

function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw validation(`${kind} name '${name}' can have a maximum of 32 characters, can contain only alphanumeric characters and hyphens, and cannot begin or end with a hyphen`);
  }
}

function healthCheckFrom(p: QueryParams): Partial<HealthCheck> {
  const hc: Partial<HealthCheck> = {};
  const s = (k: string) => p.get(k);
  const n = (k: string) => p.int(k);
  if (s("HealthCheckProtocol")) hc.protocol = s("HealthCheckProtocol")!;
  if (s("HealthCheckPort")) hc.port = s("HealthCheckPort")!;
  if (s("HealthCheckPath")) hc.path = s("HealthCheckPath")!;
  if (p.bool("HealthCheckEnabled") !== undefined) hc.enabled = p.bool("HealthCheckEnabled")!;
  if (n("HealthCheckIntervalSeconds") !== undefined) hc.intervalSeconds = n("HealthCheckIntervalSeconds")!;
  if (n("HealthCheckTimeoutSeconds") !== undefined) hc.timeoutSeconds = n("HealthCheckTimeoutSeconds")!;
  if (n("HealthyThresholdCount") !== undefined) hc.healthyThreshold = n("HealthyThresholdCount")!;
  if (n("UnhealthyThresholdCount") !== undefined) hc.unhealthyThreshold = n("UnhealthyThresholdCount")!;
  if (s("Matcher.HttpCode")) hc.matcher = s("Matcher.HttpCode")!;
  return hc;
}

/** AWS's own rule for HTTP(S) target groups: each check must time out before the next one is due. */
function checkHealthTiming(hc: HealthCheck, undo: () => void = () => {}): void {
  const http = hc.protocol === "HTTP" || hc.protocol === "HTTPS";
  if (http && hc.timeoutSeconds >= hc.intervalSeconds) {
    undo();
    throw validation("Health check interval must be greater than the timeout.");
  }
}

export const ELBV2_ACTIONS: Record<string, Handler> = {
  ...LISTENER_ACTIONS,
  ...LOAD_BALANCER_CHANGES,
  DescribeLoadBalancers({ p, model, ...shape }) {
    const arns = p.strings("LoadBalancerArns.member");
    const names = p.strings("Names.member");
    if (arns.length && names.length) throw validation("Load balancer names and load balancer ARNs cannot be specified at the same time");
    let lbs = [...model.loadBalancers.values()];
    if (arns.length) {
      if (arns.length > 20) throw validation("A maximum of 20 load balancer ARNs can be specified");
      const missing = arns.filter((a) => !model.loadBalancers.has(a));
      if (missing.length) throw new AwsApiError("LoadBalancerNotFound", `Load balancers '[${missing.join(", ")}]' not found`);
      lbs = arns.map((a) => model.loadBalancers.get(a)!);
    } else if (names.length) {
      const missing = names.filter((n) => !lbs.some((lb) => lb.name === n));
      if (missing.length) throw new AwsApiError("LoadBalancerNotFound", `Load balancers '[${missing.join(", ")}]' not found`);
      lbs = lbs.filter((lb) => names.includes(lb.name));
    }
    const { page, next } = paginate(lbs, p.get("Marker"), p.int("PageSize"), MAX_PAGE, shape);
    return { LoadBalancers: page.map(lbXml), NextMarker: next };
  },

  DescribeTags({ p, model, empty }) {
    const arns = p.strings("ResourceArns.member");
    if (arns.length === 0) throw validation("ResourceArns must contain at least 1 item");
    if (arns.length > 20) throw validation(`1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20`);
    const known = (a: string) => model.loadBalancers.has(a) || model.targetGroups.has(a) || model.listeners.has(a);
    const missing = arns.find((a) => !known(a));
    if (missing) throw notFoundFor(missing);
    return {
      TagDescriptions: (empty ? [] : arns).map((a) => ({
        ResourceArn: a,
        Tags: Object.entries(model.tagsOf(a)).map(([Key, Value]) => ({ Key, Value })),
      })),
    };
  },

  DescribeTargetGroups({ p, model, ...shape }) {
    const lbArn = p.get("LoadBalancerArn");
    const arns = p.strings("TargetGroupArns.member");
    const names = p.strings("Names.member");
    if ([lbArn ? 1 : 0, arns.length ? 1 : 0, names.length ? 1 : 0].reduce((a, b) => a + b, 0) > 1) {
      throw validation("Only one of LoadBalancerArn, TargetGroupArns or Names can be specified");
    }
    let tgs = [...model.targetGroups.values()];
    if (lbArn) {
      model.requireLoadBalancer(lbArn);
      tgs = tgs.filter((tg) => tg.loadBalancerArns.includes(lbArn));
    } else if (arns.length) {
      const missing = arns.filter((a) => !model.targetGroups.has(a));
      if (missing.length) throw new AwsApiError("TargetGroupNotFound", `Target groups '[${missing.join(", ")}]' not found`);
      tgs = arns.map((a) => model.targetGroups.get(a)!);
    } else if (names.length) {
      const missing = names.filter((n) => !tgs.some((tg) => tg.name === n));
      if (missing.length) throw new AwsApiError("TargetGroupNotFound", "One or more target groups not found");
      tgs = tgs.filter((tg) => names.includes(tg.name));
    }
    const { page, next } = paginate(tgs, p.get("Marker"), p.int("PageSize"), MAX_PAGE, shape);
    return { TargetGroups: page.map(tgXml), NextMarker: next };
  },

  DescribeTargetHealth({ p, model, empty }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    const asked = p.list("Targets.member").map((t) => ({ id: t.get("Id") ?? "", port: t.int("Port") }));
    const registered = model.targetsOf(tg.arn);
    const rows = asked.length
      ? asked.map((a) => registered.find((t) => t.id === a.id && (a.port === undefined || t.port === a.port)) ?? {
          id: a.id, port: a.port ?? tg.port, state: "unused" as const, reason: "Target.NotRegistered",
        })
      : registered;
    return {
      TargetHealthDescriptions: (empty ? [] : rows).map((t) => ({
        Target: { Id: t.id, Port: t.port },
        HealthCheckPort: tg.healthCheck.port === "traffic-port" ? String(t.port) : tg.healthCheck.port,
        TargetHealth: {
          State: t.state,
          Reason: t.reason,
          Description: t.reason ? describeReason(t.reason) : undefined,
        },
      })),
    };
  },

  RegisterTargets({ p, model }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    const targets = p.list("Targets.member").map((t) => ({ id: t.get("Id") ?? "", port: t.int("Port") ?? tg.port }));
    if (!targets.length) throw validation("Targets must contain at least 1 item");
    if (tg.targetType === "instance") {
      const unknown = targets.filter((t) => !model.instances.has(t.id)).map((t) => t.id);
      if (unknown.length) throw new AwsApiError("InvalidTarget", `The following targets are not valid instances: '${unknown.join("', '")}'`);
      const notRunning = targets.filter((t) => model.instances.get(t.id)!.state !== "running").map((t) => t.id);
      if (notRunning.length) {
        throw new AwsApiError("InvalidTarget", `The following targets are not in a running state and cannot be registered: '${notRunning.join("', '")}'`);
      }
    }
    const m = model.targetMap(tg.arn);
    for (const t of targets) {
      const existing = m.get(`${t.id}:${t.port}`);
      if (existing && existing.state !== "draining") continue;
      const state = model.healthChecks ? "initial" : model.registeredState;
      const reason = state === "initial" ? "Elb.RegistrationInProgress" : undefined;
      m.set(`${t.id}:${t.port}`, { id: t.id, port: t.port, state, ...(reason ? { reason } : {}), registeredAt: model.clock() });
    }
    return {};
  },

  DeregisterTargets({ p, model }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    const targets = p.list("Targets.member").map((t) => ({ id: t.get("Id") ?? "", port: t.int("Port") ?? tg.port }));
    if (!targets.length) throw validation("Targets must contain at least 1 item");
    if (tg.targetType === "instance") {
      // AWS rejects the whole batch when an id is not an instance it knows (e.g. terminated long ago).
      const unknown = targets.filter((t) => !model.instances.has(t.id)).map((t) => t.id);
      if (unknown.length) throw new AwsApiError("InvalidTarget", `The following targets are not valid instances: '${unknown.join("', '")}'`);
    }
    const m = model.targetMap(tg.arn);
    for (const t of targets) {
      const key = `${t.id}:${t.port}`;
      const existing = m.get(key);
      if (!existing) continue; // AWS: deregistering an absent target succeeds
      const drainMs = model.healthChecks ? Number(tg.attributes.get("deregistration_delay.timeout_seconds") ?? 300) * 1000 : model.drainMs;
      if (drainMs > 0) {
        Object.assign(existing, { state: "draining", reason: "Target.DeregistrationInProgress", drainingUntil: model.clock() + drainMs });
      } else {
        m.delete(key);
      }
    }
    return {};
  },

  CreateTargetGroup({ p, model }) {
    const name = requireParam(p, "Name");
    checkName("Target group", name);
    const protocol = p.get("Protocol") ?? "HTTP";
    const port = p.int("Port") ?? 80;
    const vpcId = p.get("VpcId") ?? "";
    const targetType = p.get("TargetType") ?? "instance";
    if (targetType !== "lambda" && !vpcId) throw validation("A VPC ID must be specified");
    if (vpcId && !model.vpcs.has(vpcId)) throw validation(`The VPC ID '${vpcId}' is not found`);
    const existing = [...model.targetGroups.values()].find((tg) => tg.name === name);
    if (existing) {
      // AWS: creating a target group with the same name and settings returns the existing one.
      if (existing.protocol === protocol && existing.port === port && existing.vpcId === vpcId && existing.targetType === targetType) {
        return { TargetGroups: [tgXml(existing)] };
      }
      throw new AwsApiError("DuplicateTargetGroupName", `A target group with the same name '${name}' exists, but with different settings`);
    }
    const tg = model.addTargetGroup({ name, protocol, port, vpcId, targetType, healthCheck: healthCheckFrom(p) });
    checkHealthTiming(tg.healthCheck, () => model.deleteTargetGroup(tg.arn));
    applyTags(model, tg.arn, tagsParam(p));
    return { TargetGroups: [tgXml(tg)] };
  },

  ModifyTargetGroup({ p, model }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    checkHealthTiming({ ...tg.healthCheck, ...healthCheckFrom(p) });
    Object.assign(tg.healthCheck, healthCheckFrom(p));
    return { TargetGroups: [tgXml(tg)] };
  },

  DescribeTargetGroupAttributes({ p, model }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    return { Attributes: [...tg.attributes].map(([Key, Value]) => ({ Key, Value })) };
  },

  ModifyTargetGroupAttributes({ p, model }) {
    const tg = model.requireTargetGroup(requireParam(p, "TargetGroupArn"));
    const attrs = p.list("Attributes.member");
    if (!attrs.length) throw validation("Attributes must contain at least 1 item");
    for (const a of attrs) {
      const key = a.get("Key") ?? "";
      if (!tg.attributes.has(key) && !key.startsWith("stickiness.")) throw validation(`Target group attribute key '${key}' is not recognized`);
      tg.attributes.set(key, a.get("Value") ?? "");
    }
    return { Attributes: [...tg.attributes].map(([Key, Value]) => ({ Key, Value })) };
  },

  CreateLoadBalancer({ p, model }) {
    const name = requireParam(p, "Name");
    checkName("Load balancer", name);
    if (name.startsWith("internal-")) throw validation("Load balancer names cannot start with 'internal-'");
    const type = (p.get("Type") ?? "application") as LoadBalancer["type"];
    const scheme = (p.get("Scheme") ?? "internet-facing") as LoadBalancer["scheme"];
    const subnets = p.strings("Subnets.member");
    const securityGroups = p.strings("SecurityGroups.member");
    if (type === "application" && subnets.length < 2) {
      throw validation("At least two subnets in two different Availability Zones must be specified");
    }
    for (const sg of securityGroups) {
      if (!model.securityGroups.has(sg)) throw new AwsApiError("InvalidSecurityGroup", `Security group '${sg}' does not exist`);
    }
    const existing = [...model.loadBalancers.values()].find((lb) => lb.name === name);
    if (existing) {
      // AWS: a create with the same name and settings succeeds and returns the existing load balancer.
      if (existing.type === type && existing.scheme === scheme && same(existing.subnets, subnets) && same(existing.securityGroups, securityGroups)) {
        return { LoadBalancers: [lbXml(existing)] };
      }
      throw new AwsApiError("DuplicateLoadBalancerName", `A load balancer with the same name '${name}' exists, but with different settings`);
    }
    const vpcId = model.securityGroups.get(securityGroups[0] ?? "")?.vpcId;
    const lb = model.addLoadBalancer({ name, type, scheme, subnets, securityGroups, ...(vpcId ? { vpcId } : {}) });
    applyTags(model, lb.arn, tagsParam(p));
    return { LoadBalancers: [lbXml(lb)] };
  },

  AddTags({ p, model }) {
    const arns = p.strings("ResourceArns.member");
    const tags = tagsParam(p);
    if (!arns.length || !tags.length) throw validation("ResourceArns and Tags must contain at least 1 item");
    for (const a of arns) {
      if (!model.loadBalancers.has(a) && !model.targetGroups.has(a) && !model.listeners.has(a)) throw notFoundFor(a);
      applyTags(model, a, tags);
    }
    return {};
  },

  DeleteTargetGroup({ p, model }) {
    const arn = requireParam(p, "TargetGroupArn");
    const tg = model.targetGroups.get(arn);
    if (tg?.loadBalancerArns.length) throw new AwsApiError("ResourceInUse", `Target group '${arn}' is currently in use by a listener or a rule`);
    model.deleteTargetGroup(arn);
    return {};
  },

  DeleteLoadBalancer({ p, model }) {
    model.deleteLoadBalancer(requireParam(p, "LoadBalancerArn"));
    return {};
  },
};
