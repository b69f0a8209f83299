// Elastic Load Balancing v2 (API version 2015-12-01) over awsQuery: the actions pwb-agent and its
// tests use, with AWS's parameter names, result shapes, errors and idempotency rules.
import { AwsApiError, validation } from "./errors.js";
import type { AwsModel, HealthCheck, LoadBalancer, Listener, ListenerAction, TargetGroup } from "./model.js";
import { describeReason } from "./model.js";
import { paginate, type ListShaping } from "./paging.js";
import type { QueryParams, XmlValue } from "./protocol.js";

export interface Elbv2Context extends ListShaping {
  p: QueryParams;
  model: AwsModel;
}

type Result = Record<string, XmlValue>;
type Handler = (ctx: Elbv2Context) => Result;

const MAX_PAGE = 400;
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

function lbXml(lb: LoadBalancer): Result {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.type === "application" ? "Z32O12XQLNTSW2" : "Z2IFOLAFXWLO4F",
    CreatedTime: lb.createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: lb.state },
    Type: lb.type,
    AvailabilityZones: lb.subnets.map((s, i) => ({ ZoneName: `${lb.arn.split(":")[3]}${"abc"[i % 3]}`, SubnetId: s })),
    SecurityGroups: lb.type === "application" || lb.securityGroups.length ? lb.securityGroups : undefined,
    IpAddressType: lb.ipAddressType,
  };
}

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

function listenerXml(l: Listener): Result {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol,
    Certificates: l.certificates.length ? l.certificates.map((c) => ({ CertificateArn: c })) : undefined,
    SslPolicy: l.sslPolicy,
    DefaultActions: l.defaultActions.map((a) => ({
      Type: a.Type,
      TargetGroupArn: a.TargetGroupArn,
      RedirectConfig: a.RedirectConfig,
      ForwardConfig: a.Type === "forward" && a.TargetGroupArn
        ? { TargetGroups: [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } }
        : undefined,
    })),
  };
}

const tagsParam = (p: QueryParams) => p.list("Tags.member").map((t) => [t.get("Key") ?? "", t.get("Value") ?? ""] as const);

function requireParam(p: QueryParams, key: string): string {
  const v = p.get(key);
  if (v === undefined || v === "") throw validation(`1 validation error detected: Value null at '${key.charAt(0).toLowerCase() + key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw validation(`${kind} name '${name}' can have a maximum of 32 characters, can contain only alphanumeric characters and hyphens, and cannot begin or end with a hyphen`);
  }
}

function applyTags(model: AwsModel, arn: string, tags: ReadonlyArray<readonly [string, string]>): void {
  if (tags.length) model.setTags(arn, new Map(tags));
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

function actionsFrom(p: QueryParams, model: AwsModel): ListenerAction[] {
  return p.list("DefaultActions.member").map((a) => {
    const type = a.get("Type") ?? "";
    const tgArn = a.get("TargetGroupArn") ?? a.get("ForwardConfig.TargetGroups.member.1.TargetGroupArn");
    if (type === "forward") {
      if (!tgArn) throw validation("A target group ARN must be specified for a forward action");
      model.requireTargetGroup(tgArn);
    }
    if (type === "redirect") {
      const r = (k: string) => a.get(`RedirectConfig.${k}`);
      const status = r("StatusCode");
      if (status !== "HTTP_301" && status !== "HTTP_302") throw validation("A redirect action requires StatusCode HTTP_301 or HTTP_302");
      const protocol = r("Protocol") ?? "#{protocol}";
      if (!["HTTP", "HTTPS", "#{protocol}"].includes(protocol)) throw validation(`Redirect protocol '${protocol}' is not valid`);
      return {
        Type: type,
        RedirectConfig: { Protocol: protocol, Port: r("Port") ?? "#{port}", Host: r("Host") ?? "#{host}", Path: r("Path") ?? "/#{path}", Query: r("Query") ?? "#{query}", StatusCode: status },
      };
    }
    return { Type: type, ...(tgArn ? { TargetGroupArn: tgArn } : {}) };
  });
}

function notFoundFor(arn: string): AwsApiError {
  if (arn.includes(":targetgroup/")) return new AwsApiError("TargetGroupNotFound", `Target groups '[${arn}]' not found`);
  if (arn.includes(":listener/")) return new AwsApiError("ListenerNotFound", `Listeners '[${arn}]' not found`);
  return new AwsApiError("LoadBalancerNotFound", `Load balancers '[${arn}]' not found`);
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

export const ELBV2_ACTIONS: Record<string, Handler> = {
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

  CreateListener({ p, model }) {
    const lb = model.requireLoadBalancer(requireParam(p, "LoadBalancerArn"));
    const protocol = p.get("Protocol") ?? (lb.type === "application" ? "HTTP" : "TCP");
    const port = p.int("Port") ?? (protocol === "HTTPS" ? 443 : 80);
    const certificates = p.list("Certificates.member").map((c) => c.get("CertificateArn") ?? "");
    if ((protocol === "HTTPS" || protocol === "TLS") && certificates.length === 0) {
      throw new AwsApiError("CertificateNotFound", "A certificate must be specified for HTTPS listeners");
    }
    const defaultActions = actionsFrom(p, model);
    const sslPolicy = p.get("SslPolicy") ?? (protocol === "HTTPS" ? "ELBSecurityPolicy-2016-08" : undefined);
    const existing = [...model.listeners.values()].find((l) => l.loadBalancerArn === lb.arn && l.port === port);
    if (existing) {
      const identical = existing.protocol === protocol && same(existing.certificates, certificates) &&
        JSON.stringify(existing.defaultActions) === JSON.stringify(defaultActions);
      if (identical) return { Listeners: [listenerXml(existing)] };
      throw new AwsApiError("DuplicateListener", "A listener already exists on this port for this load balancer");
    }
    const listener: Listener = {
      arn: model.elbArn(`listener/${lb.arn.split(":loadbalancer/")[1]}/${model.nextHex(16)}`),
      loadBalancerArn: lb.arn,
      port,
      protocol,
      certificates,
      ...(sslPolicy ? { sslPolicy } : {}),
      defaultActions,
    };
    model.listeners.set(listener.arn, listener);
    for (const a of defaultActions) {
      const tg = a.TargetGroupArn ? model.targetGroups.get(a.TargetGroupArn) : undefined;
      if (tg && !tg.loadBalancerArns.includes(lb.arn)) tg.loadBalancerArns.push(lb.arn);
    }
    applyTags(model, listener.arn, tagsParam(p));
    return { Listeners: [listenerXml(listener)] };
  },

  DescribeListeners({ p, model, ...shape }) {
    const lbArn = p.get("LoadBalancerArn");
    const arns = p.strings("ListenerArns.member");
    if (!lbArn && !arns.length) throw validation("You must specify either listener ARNs or a load balancer ARN");
    let ls = [...model.listeners.values()];
    if (lbArn) {
      model.requireLoadBalancer(lbArn);
      ls = ls.filter((l) => l.loadBalancerArn === lbArn);
    } else {
      const missing = arns.find((a) => !model.listeners.has(a));
      if (missing) throw notFoundFor(missing);
      ls = arns.map((a) => model.listeners.get(a)!);
    }
    const { page, next } = paginate(ls, p.get("Marker"), p.int("PageSize"), MAX_PAGE, shape);
    return { Listeners: page.map(listenerXml), NextMarker: next };
  },

  ModifyListener({ p, model }) {
    const arn = requireParam(p, "ListenerArn");
    const l = model.listeners.get(arn);
    if (!l) throw notFoundFor(arn);
    if (p.get("Protocol")) l.protocol = p.get("Protocol")!;
    if (p.int("Port") !== undefined) l.port = p.int("Port")!;
    if (p.get("SslPolicy")) l.sslPolicy = p.get("SslPolicy")!;
    const certs = p.list("Certificates.member").map((c) => c.get("CertificateArn") ?? "");
    if (certs.length) l.certificates = certs;
    const actions = actionsFrom(p, model);
    if (actions.length) l.defaultActions = actions;
    return { Listeners: [listenerXml(l)] };
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
