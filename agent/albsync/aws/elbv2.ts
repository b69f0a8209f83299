// Every ELBv2 call pwb-agent makes, with pagination, the 20-ARN DescribeTags limit and
// 200-target batches handled here, and SDK types mapped to the few fields the agent uses.
import type * as Elbv2Sdk from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ObservedTarget } from "../types.js";
import { hasCode, IncompleteAnswer } from "./errors.js";
import { loadElbv2, SdkAdapter, type ApiCallStats, type AwsClientOptions } from "./sdk.js";

export interface TargetGroupInfo {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  loadBalancerArns: string[];
  healthCheck: { protocol: string; port: string; path: string | null; intervalSeconds: number; matcher: string | null };
}

export interface LoadBalancerInfo {
  arn: string;
  name: string;
  type: string;
  scheme: string;
  dnsName: string;
  /** The ALB's own hosted zone, for a Route 53 alias to it. */
  canonicalHostedZoneId: string;
  vpcId: string;
  subnets: string[];
  securityGroups: string[];
}

export interface ListenerInfo {
  arn: string;
  port: number;
  protocol: string;
  certificates: string[];
  sslPolicy: string | null;
  forwardTo: string[];
  /** The default action's redirect, when it is one. */
  redirect: { protocol: string; port: string; statusCode: string } | null;
}

export interface TargetRef {
  id: string;
  port: number;
}

export type Tags = Record<string, string>;

/** DescribeTags takes at most 20 ARNs per call. */
export const TAGS_PER_CALL = 20;
/** Register/Deregister batch size (what aws-load-balancer-controller uses, per the ELB team). */
export const TARGETS_PER_CALL = 200;
const PAGE_SIZE = 400;

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

function toTargetGroup(tg: Elbv2Sdk.TargetGroup): TargetGroupInfo {
  return {
    arn: tg.TargetGroupArn ?? "",
    name: tg.TargetGroupName ?? "",
    protocol: tg.Protocol ?? "",
    port: tg.Port ?? 0,
    vpcId: tg.VpcId ?? "",
    targetType: tg.TargetType ?? "",
    loadBalancerArns: tg.LoadBalancerArns ?? [],
    healthCheck: {
      protocol: tg.HealthCheckProtocol ?? "",
      port: tg.HealthCheckPort ?? "",
      path: tg.HealthCheckPath ?? null,
      intervalSeconds: tg.HealthCheckIntervalSeconds ?? 0,
      matcher: tg.Matcher?.HttpCode ?? null,
    },
  };
}

function toLoadBalancer(lb: Elbv2Sdk.LoadBalancer): LoadBalancerInfo {
  return {
    arn: lb.LoadBalancerArn ?? "",
    name: lb.LoadBalancerName ?? "",
    type: lb.Type ?? "",
    scheme: lb.Scheme ?? "",
    dnsName: lb.DNSName ?? "",
    canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? "",
    vpcId: lb.VpcId ?? "",
    subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? "").filter(Boolean),
    securityGroups: lb.SecurityGroups ?? [],
  };
}

function toListener(l: Elbv2Sdk.Listener): ListenerInfo {
  const redirect = (l.DefaultActions ?? []).find((a) => a.Type === "redirect");
  const forwardTo = (l.DefaultActions ?? []).flatMap((a) =>
    a.Type === "forward" ? (a.TargetGroupArn ? [a.TargetGroupArn] : (a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn ?? "")) : [],
  );
  return {
    arn: l.ListenerArn ?? "",
    port: l.Port ?? 0,
    protocol: l.Protocol ?? "",
    certificates: (l.Certificates ?? []).map((c) => c.CertificateArn ?? ""),
    sslPolicy: l.SslPolicy ?? null,
    forwardTo: [...new Set(forwardTo)],
    redirect: redirect?.RedirectConfig
      ? { protocol: redirect.RedirectConfig.Protocol ?? "", port: redirect.RedirectConfig.Port ?? "", statusCode: redirect.RedirectConfig.StatusCode ?? "" }
      : null,
  };
}

/** 5 s (AWS's default for HTTP), but always under the interval, as AWS requires. */
export const healthCheckTimeout = (intervalSeconds: number) => Math.max(2, Math.min(5, intervalSeconds - 1));

const redirectAction = (httpsPort: number): Elbv2Sdk.Action => ({
  Type: "redirect",
  RedirectConfig: { Protocol: "HTTPS", Port: String(httpsPort), StatusCode: "HTTP_301" },
});

const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export class Elbv2 extends SdkAdapter<typeof Elbv2Sdk, Elbv2Sdk.ElasticLoadBalancingV2Client> {
  static async open(o: AwsClientOptions, stats: ApiCallStats, signal?: AbortSignal): Promise<Elbv2> {
    const { sdk, client } = await loadElbv2(o, stats);
    return new Elbv2(sdk, client, signal);
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** DescribeTargetHealth is not paginated: one call returns every target of the group. */
  async targetHealth(targetGroupArn: string): Promise<ObservedTarget[]> {
    const out = await this.send<Elbv2Sdk.DescribeTargetHealthCommandOutput>(new this.sdk.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    return (out.TargetHealthDescriptions ?? []).map((d) => ({
      id: d.Target?.Id ?? "",
      port: d.Target?.Port ?? 0,
      state: d.TargetHealth?.State ?? "unknown",
      ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
    }));
  }

  /** The health of these targets only (one node asking about itself: a small answer, a narrow grant). */
  async targetHealthOf(targetGroupArn: string, targets: TargetRef[]): Promise<ObservedTarget[]> {
    const out = await this.send<Elbv2Sdk.DescribeTargetHealthCommandOutput>(
      new this.sdk.DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: targets.map((t) => ({ Id: t.id, Port: t.port })) }),
    );
    return (out.TargetHealthDescriptions ?? []).map((d) => ({
      id: d.Target?.Id ?? "",
      port: d.Target?.Port ?? 0,
      state: d.TargetHealth?.State ?? "unknown",
      ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
    }));
  }

  /** The target group with this name, or null (TargetGroupNotFound). */
  async targetGroupByName(name: string): Promise<TargetGroupInfo | null> {
    try {
      const out = await this.send<Elbv2Sdk.DescribeTargetGroupsCommandOutput>(new this.sdk.DescribeTargetGroupsCommand({ Names: [name] }));
      const tg = (out.TargetGroups ?? []).find((t) => t.TargetGroupName === name);
      // AWS answers an unknown name with TargetGroupNotFound, never with an empty list.
      if (!tg) throw new IncompleteAnswer(`DescribeTargetGroups answered the name ${name} with no target group and no error`);
      return toTargetGroup(tg);
    } catch (e) {
      if (hasCode(e, "TargetGroupNotFound")) return null;
      throw e;
    }
  }

  async targetGroupsOfLoadBalancer(loadBalancerArn: string): Promise<TargetGroupInfo[]> {
    return this.pagedTargetGroups({ LoadBalancerArn: loadBalancerArn });
  }

  /** Every target group in the account and region, page by page. */
  async allTargetGroups(): Promise<TargetGroupInfo[]> {
    return this.pagedTargetGroups({});
  }

  private async pagedTargetGroups(input: Elbv2Sdk.DescribeTargetGroupsCommandInput): Promise<TargetGroupInfo[]> {
    const out: TargetGroupInfo[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send<Elbv2Sdk.DescribeTargetGroupsCommandOutput>(
        new this.sdk.DescribeTargetGroupsCommand({ ...input, PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }),
      );
      out.push(...(page.TargetGroups ?? []).map(toTargetGroup));
      marker = page.NextMarker || undefined;
    } while (marker);
    return out;
  }

  /** The load balancer with this name, or null (LoadBalancerNotFound). */
  async loadBalancerByName(name: string): Promise<LoadBalancerInfo | null> {
    try {
      const out = await this.send<Elbv2Sdk.DescribeLoadBalancersCommandOutput>(new this.sdk.DescribeLoadBalancersCommand({ Names: [name] }));
      const lb = (out.LoadBalancers ?? []).find((l) => l.LoadBalancerName === name);
      if (!lb) throw new IncompleteAnswer(`DescribeLoadBalancers answered the name ${name} with no load balancer and no error`);
      return toLoadBalancer(lb);
    } catch (e) {
      if (hasCode(e, "LoadBalancerNotFound")) return null;
      throw e;
    }
  }

  /** Every load balancer in the account and region (Marker/NextMarker; PageSize in the input, the paginator ignores its own). */
  async allLoadBalancers(): Promise<LoadBalancerInfo[]> {
    const out: LoadBalancerInfo[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send<Elbv2Sdk.DescribeLoadBalancersCommandOutput>(
        new this.sdk.DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }),
      );
      out.push(...(page.LoadBalancers ?? []).map(toLoadBalancer));
      marker = page.NextMarker || undefined;
    } while (marker);
    return out;
  }

  /** Tags of any number of ELB resources, 20 ARNs per call. */
  async tagsOf(arns: string[]): Promise<Map<string, Tags>> {
    const out = new Map<string, Tags>();
    for (const batch of chunks([...new Set(arns)], TAGS_PER_CALL)) {
      const page = await this.send<Elbv2Sdk.DescribeTagsCommandOutput>(new this.sdk.DescribeTagsCommand({ ResourceArns: batch }));
      for (const d of page.TagDescriptions ?? []) {
        out.set(d.ResourceArn ?? "", Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])));
      }
    }
    return out;
  }

  async listeners(loadBalancerArn: string): Promise<ListenerInfo[]> {
    const out: ListenerInfo[] = [];
    let marker: string | undefined;
    do {
      const page = await this.send<Elbv2Sdk.DescribeListenersCommandOutput>(
        new this.sdk.DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }),
      );
      out.push(...(page.Listeners ?? []).map(toListener));
      marker = page.NextMarker || undefined;
    } while (marker);
    return out;
  }

  async targetGroupAttributes(targetGroupArn: string): Promise<Map<string, string>> {
    const out = await this.send<Elbv2Sdk.DescribeTargetGroupAttributesCommandOutput>(
      new this.sdk.DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }),
    );
    return new Map((out.Attributes ?? []).map((a) => [a.Key ?? "", a.Value ?? ""]));
  }

  // ---- target changes ------------------------------------------------------------------------

  async registerTargets(targetGroupArn: string, targets: TargetRef[]): Promise<void> {
    for (const batch of chunks(targets, TARGETS_PER_CALL)) {
      await this.send(new this.sdk.RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((t) => ({ Id: t.id, Port: t.port })) }));
    }
  }

  /** Deregistering needs the port used at registration; an absent target is a success. */
  async deregisterTargets(targetGroupArn: string, targets: TargetRef[]): Promise<void> {
    for (const batch of chunks(targets, TARGETS_PER_CALL)) {
      await this.send(new this.sdk.DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch.map((t) => ({ Id: t.id, Port: t.port })) }));
    }
  }

  // ---- creation and settings (alb ensure) ----------------------------------------------------

  async createTargetGroup(input: {
    name: string;
    port: number;
    vpcId: string;
    healthCheck: { path: string; matcher: string; intervalSeconds: number };
    tags: Tags;
  }): Promise<TargetGroupInfo> {
    const out = await this.send<Elbv2Sdk.CreateTargetGroupCommandOutput>(
      new this.sdk.CreateTargetGroupCommand({
        Name: input.name,
        Protocol: "HTTP",
        Port: input.port,
        VpcId: input.vpcId,
        TargetType: "instance",
        HealthCheckEnabled: true,
        HealthCheckProtocol: "HTTP",
        HealthCheckPort: "traffic-port",
        HealthCheckPath: input.healthCheck.path,
        HealthCheckIntervalSeconds: input.healthCheck.intervalSeconds,
        HealthCheckTimeoutSeconds: healthCheckTimeout(input.healthCheck.intervalSeconds),
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
        Matcher: { HttpCode: input.healthCheck.matcher },
        Tags: tagList(input.tags),
      }),
    );
    const tg = out.TargetGroups?.[0];
    if (!tg) throw new Error("CreateTargetGroup returned no target group");
    return toTargetGroup(tg);
  }

  async modifyHealthCheck(targetGroupArn: string, hc: { path: string; matcher: string; intervalSeconds: number }): Promise<void> {
    await this.send(
      new this.sdk.ModifyTargetGroupCommand({
        TargetGroupArn: targetGroupArn,
        HealthCheckProtocol: "HTTP",
        HealthCheckPort: "traffic-port",
        HealthCheckPath: hc.path,
        HealthCheckIntervalSeconds: hc.intervalSeconds,
        HealthCheckTimeoutSeconds: healthCheckTimeout(hc.intervalSeconds),
        Matcher: { HttpCode: hc.matcher },
      }),
    );
  }

  async setTargetGroupAttributes(targetGroupArn: string, attributes: Map<string, string>): Promise<void> {
    await this.send(
      new this.sdk.ModifyTargetGroupAttributesCommand({
        TargetGroupArn: targetGroupArn,
        Attributes: [...attributes].map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }

  async createLoadBalancer(input: { name: string; subnets: string[]; securityGroups: string[]; scheme: string; tags: Tags }): Promise<LoadBalancerInfo> {
    const out = await this.send<Elbv2Sdk.CreateLoadBalancerCommandOutput>(
      new this.sdk.CreateLoadBalancerCommand({
        Name: input.name,
        Subnets: input.subnets,
        SecurityGroups: input.securityGroups,
        Scheme: input.scheme as Elbv2Sdk.LoadBalancerSchemeEnum,
        Type: "application",
        IpAddressType: "ipv4",
        Tags: tagList(input.tags),
      }),
    );
    const lb = out.LoadBalancers?.[0];
    if (!lb) throw new Error("CreateLoadBalancer returned no load balancer");
    return toLoadBalancer(lb);
  }

  async createHttpsListener(input: {
    loadBalancerArn: string;
    port: number;
    certificateArn: string;
    sslPolicy: string;
    targetGroupArn: string;
    tags: Tags;
  }): Promise<ListenerInfo> {
    const out = await this.send<Elbv2Sdk.CreateListenerCommandOutput>(
      new this.sdk.CreateListenerCommand({
        LoadBalancerArn: input.loadBalancerArn,
        Protocol: "HTTPS",
        Port: input.port,
        Certificates: [{ CertificateArn: input.certificateArn }],
        SslPolicy: input.sslPolicy,
        DefaultActions: [{ Type: "forward", TargetGroupArn: input.targetGroupArn }],
        Tags: tagList(input.tags),
      }),
    );
    const l = out.Listeners?.[0];
    if (!l) throw new Error("CreateListener returned no listener");
    return toListener(l);
  }

  /** HTTP on `port`, answering every request with a permanent redirect to HTTPS on `httpsPort` (same host, path, query). */
  async createRedirectListener(input: { loadBalancerArn: string; port: number; httpsPort: number; tags: Tags }): Promise<ListenerInfo> {
    const out = await this.send<Elbv2Sdk.CreateListenerCommandOutput>(
      new this.sdk.CreateListenerCommand({
        LoadBalancerArn: input.loadBalancerArn,
        Protocol: "HTTP",
        Port: input.port,
        DefaultActions: [redirectAction(input.httpsPort)],
        Tags: tagList(input.tags),
      }),
    );
    const l = out.Listeners?.[0];
    if (!l) throw new Error("CreateListener returned no listener");
    return toListener(l);
  }

  async modifyToRedirect(listenerArn: string, httpsPort: number): Promise<void> {
    await this.send(new this.sdk.ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: "HTTP", DefaultActions: [redirectAction(httpsPort)] }));
  }

  async modifyHttpsListener(input: { listenerArn: string; port: number; certificateArn: string; sslPolicy: string; targetGroupArn: string }): Promise<void> {
    await this.send(
      new this.sdk.ModifyListenerCommand({
        ListenerArn: input.listenerArn,
        Protocol: "HTTPS",
        Port: input.port,
        Certificates: [{ CertificateArn: input.certificateArn }],
        SslPolicy: input.sslPolicy,
        DefaultActions: [{ Type: "forward", TargetGroupArn: input.targetGroupArn }],
      }),
    );
  }
}
