// ELBv2 listeners: create (idempotent on identical settings), describe, modify (what the call names only).
import { AwsApiError, validation } from "./errors.js";
import { applyTags, MAX_PAGE, notFoundFor, requireParam, same, tagsParam, type Handler, type Result } from "./elbv2-shared.js";
import type { AwsModel, Listener, ListenerAction } from "./model.js";
import { paginate } from "./paging.js";
import type { QueryParams } from "./protocol.js";

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

export const LISTENER_ACTIONS: Record<string, Handler> = {
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
};
