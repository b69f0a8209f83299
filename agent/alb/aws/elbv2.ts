// Every ELBv2 call pwb-agent makes, with pagination, the 20-ARN DescribeTags limit and
// 200-target batches handled here, and SDK types mapped to the few fields the agent uses.
import type * as Elbv2Sdk from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ObservedTarget } from "../types.js";
import { hasCode, IncompleteAnswer } from "./errors.js";
import {
  healthCheckInput, httpsListenerInput, redirectAction, toListener, toLoadBalancer, toTargetGroup, WORKBENCH_TARGET_GROUP,
  type HealthCheckSettings, type HttpsListenerSettings, type ListenerInfo, type LoadBalancerInfo, type TargetGroupInfo,
} from "./elbv2-shapes.js";
import { loadElbv2, SdkAdapter, type ApiCallStats, type AwsClientOptions } from "./sdk.js";

export { healthCheckTimeout, type HealthCheckSettings, type HttpsListenerSettings, type ListenerInfo, type LoadBalancerInfo, type TargetGroupInfo } from "./elbv2-shapes.js";




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

/** One page's position in a Marker/NextMarker listing (PageSize set by us: the SDK's paginator ignores its own). */
type PageInput = { PageSize: number; Marker?: string };

/** Every item of a Marker/NextMarker listing, page by page. */
async function allPages<P extends { NextMarker?: string }, T>(call: (page: PageInput) => Promise<P>, items: (page: P) => T[]): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await call({ PageSize: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) });
    out.push(...items(page));
    marker = page.NextMarker || undefined;
  } while (marker);
  return out;
}

/**
 * The one resource a Describe call by name returns, or null when AWS says the name is unknown
 * (`notFound`). AWS answers an unknown name with that error, never with an empty list.
 */
async function oneByName<T>(describe: () => Promise<T[]>, name: string, what: string, call: string, notFound: string): Promise<T | null> {
  try {
    const found = await describe();
    if (found.length === 0) throw new IncompleteAnswer(`${call} answered the name ${name} with no ${what} and no error`);
    return found[0]!;
  } catch (e) {
    if (hasCode(e, notFound)) return null;
    throw e;
  }
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** The one resource a Create call returns. */
function created<T>(items: T[] | undefined, call: string, what: string): T {
  const item = items?.[0];
  if (!item) throw new Error(`${call} returned no ${what}`);
  return item;
}

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
    const describe = async () => {
      const out = await this.send<Elbv2Sdk.DescribeTargetGroupsCommandOutput>(new this.sdk.DescribeTargetGroupsCommand({ Names: [name] }));
      return (out.TargetGroups ?? []).filter((t) => t.TargetGroupName === name).map(toTargetGroup);
    };
    return oneByName(describe, name, "target group", "DescribeTargetGroups", "TargetGroupNotFound");
  }

  async targetGroupsOfLoadBalancer(loadBalancerArn: string): Promise<TargetGroupInfo[]> {
    return this.pagedTargetGroups({ LoadBalancerArn: loadBalancerArn });
  }

  /** Every target group in the account and region, page by page. */
  async allTargetGroups(): Promise<TargetGroupInfo[]> {
    return this.pagedTargetGroups({});
  }

  private async pagedTargetGroups(input: Elbv2Sdk.DescribeTargetGroupsCommandInput): Promise<TargetGroupInfo[]> {
    return allPages(
      (page) => this.send<Elbv2Sdk.DescribeTargetGroupsCommandOutput>(new this.sdk.DescribeTargetGroupsCommand({ ...input, ...page })),
      (page) => (page.TargetGroups ?? []).map(toTargetGroup),
    );
  }

  /** The load balancer with this name, or null (LoadBalancerNotFound). */
  async loadBalancerByName(name: string): Promise<LoadBalancerInfo | null> {
    const describe = async () => {
      const out = await this.send<Elbv2Sdk.DescribeLoadBalancersCommandOutput>(new this.sdk.DescribeLoadBalancersCommand({ Names: [name] }));
      return (out.LoadBalancers ?? []).filter((l) => l.LoadBalancerName === name).map(toLoadBalancer);
    };
    return oneByName(describe, name, "load balancer", "DescribeLoadBalancers", "LoadBalancerNotFound");
  }

  /** Every load balancer in the account and region (Marker/NextMarker; PageSize in the input, the paginator ignores its own). */
  async allLoadBalancers(): Promise<LoadBalancerInfo[]> {
    return allPages(
      (page) => this.send<Elbv2Sdk.DescribeLoadBalancersCommandOutput>(new this.sdk.DescribeLoadBalancersCommand(page)),
      (page) => (page.LoadBalancers ?? []).map(toLoadBalancer),
    );
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
    return allPages(
      (page) => this.send<Elbv2Sdk.DescribeListenersCommandOutput>(new this.sdk.DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, ...page })),
      (page) => (page.Listeners ?? []).map(toListener),
    );
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

  async createTargetGroup(input: { name: string; port: number; vpcId: string; healthCheck: HealthCheckSettings; tags: Tags }): Promise<TargetGroupInfo> {
    const out = await this.send<Elbv2Sdk.CreateTargetGroupCommandOutput>(
      new this.sdk.CreateTargetGroupCommand({
        ...WORKBENCH_TARGET_GROUP,
        ...healthCheckInput(input.healthCheck),
        Name: input.name,
        Port: input.port,
        VpcId: input.vpcId,
        Tags: tagList(input.tags),
      }),
    );
    return toTargetGroup(created(out.TargetGroups, "CreateTargetGroup", "target group"));
  }

  async modifyHealthCheck(targetGroupArn: string, hc: HealthCheckSettings): Promise<void> {
    await this.send(new this.sdk.ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, ...healthCheckInput(hc) }));
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
    return toLoadBalancer(created(out.LoadBalancers, "CreateLoadBalancer", "load balancer"));
  }

  async createHttpsListener(input: HttpsListenerSettings & { loadBalancerArn: string; tags: Tags }): Promise<ListenerInfo> {
    const out = await this.send<Elbv2Sdk.CreateListenerCommandOutput>(
      new this.sdk.CreateListenerCommand({ LoadBalancerArn: input.loadBalancerArn, ...httpsListenerInput(input), Tags: tagList(input.tags) }),
    );
    return toListener(created(out.Listeners, "CreateListener", "listener"));
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
    return toListener(created(out.Listeners, "CreateListener", "listener"));
  }

  async modifyToRedirect(listenerArn: string, httpsPort: number): Promise<void> {
    await this.send(new this.sdk.ModifyListenerCommand({ ListenerArn: listenerArn, Protocol: "HTTP", DefaultActions: [redirectAction(httpsPort)] }));
  }

  /** The ALB's subnets, replacing the ones it has (an ALB changes them in place). */
  async setSubnets(loadBalancerArn: string, subnets: string[]): Promise<void> {
    await this.send(new this.sdk.SetSubnetsCommand({ LoadBalancerArn: loadBalancerArn, Subnets: subnets }));
  }

  /** The ALB's security groups, replacing the ones it has. */
  async setSecurityGroups(loadBalancerArn: string, securityGroups: string[]): Promise<void> {
    await this.send(new this.sdk.SetSecurityGroupsCommand({ LoadBalancerArn: loadBalancerArn, SecurityGroups: securityGroups }));
  }

  async modifyHttpsListener(input: HttpsListenerSettings & { listenerArn: string }): Promise<void> {
    await this.send(new this.sdk.ModifyListenerCommand({ ListenerArn: input.listenerArn, ...httpsListenerInput(input) }));
  }
}
