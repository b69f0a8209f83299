// What the ELBv2 handlers share: parameter checks, tags, "not found" answers.
import { AwsApiError, validation } from "./errors.js";
import type { AwsModel, LoadBalancer } from "./model.js";
import type { ListShaping } from "./paging.js";
import type { QueryParams, XmlValue } from "./protocol.js";

export interface Elbv2Context extends ListShaping {
  p: QueryParams;
  model: AwsModel;
}

export type Result = Record<string, XmlValue>;
export type Handler = (ctx: Elbv2Context) => Result;

export const MAX_PAGE = 400;

export const tagsParam = (p: QueryParams) => p.list("Tags.member").map((t) => [t.get("Key") ?? "", t.get("Value") ?? ""] as const);

export function requireParam(p: QueryParams, key: string): string {
  const v = p.get(key);
  if (v === undefined || v === "") throw validation(`1 validation error detected: Value null at '${key.charAt(0).toLowerCase() + key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

export function applyTags(model: AwsModel, arn: string, tags: ReadonlyArray<readonly [string, string]>): void {
  if (tags.length) model.setTags(arn, new Map(tags));
}

export function notFoundFor(arn: string): AwsApiError {
  if (arn.includes(":targetgroup/")) return new AwsApiError("TargetGroupNotFound", `Target groups '[${arn}]' not found`);
  if (arn.includes(":listener/")) return new AwsApiError("ListenerNotFound", `Listeners '[${arn}]' not found`);
  return new AwsApiError("LoadBalancerNotFound", `Load balancers '[${arn}]' not found`);
}

export const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

export function lbXml(lb: LoadBalancer): Result {
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
