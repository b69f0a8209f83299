// The EC2 calls of `alb ensure`: the ALB's security group, its rules, the VPC's CIDR.
import type * as Ec2Sdk from "@aws-sdk/client-ec2";
import { hasCode, IncompleteAnswer } from "./errors.js";
import { loadEc2, SdkAdapter, type ApiCallStats, type AwsClientOptions } from "./sdk.js";

export interface IngressRule {
  port: number;
  /** Exactly one of cidr and sourceGroupId. */
  cidr?: string;
  sourceGroupId?: string;
  description: string;
}

export interface SecurityGroupInfo {
  id: string;
  name: string;
  vpcId: string;
  tags: Record<string, string>;
  /** TCP ingress rules, one per peer. */
  ingress: Array<{ fromPort: number | null; toPort: number | null; protocol: string; cidr?: string; sourceGroupId?: string }>;
}

function toSecurityGroup(sg: Ec2Sdk.SecurityGroup): SecurityGroupInfo {
  const ingress: SecurityGroupInfo["ingress"] = [];
  for (const p of sg.IpPermissions ?? []) {
    const base = { fromPort: p.FromPort ?? null, toPort: p.ToPort ?? null, protocol: p.IpProtocol ?? "" };
    for (const r of p.IpRanges ?? []) ingress.push({ ...base, cidr: r.CidrIp ?? "" });
    for (const g of p.UserIdGroupPairs ?? []) ingress.push({ ...base, sourceGroupId: g.GroupId ?? "" });
  }
  return {
    id: sg.GroupId ?? "",
    name: sg.GroupName ?? "",
    vpcId: sg.VpcId ?? "",
    tags: Object.fromEntries((sg.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    ingress,
  };
}

/** Whether a group already admits this rule (TCP, exactly this port). */
export function hasIngress(sg: SecurityGroupInfo, rule: IngressRule): boolean {
  return sg.ingress.some(
    (r) =>
      (r.protocol === "tcp" || r.protocol === "6" || r.protocol === "-1") &&
      (r.protocol === "-1" || (r.fromPort !== null && r.toPort !== null && r.fromPort <= rule.port && rule.port <= r.toPort)) &&
      (rule.cidr ? r.cidr === rule.cidr : r.sourceGroupId === rule.sourceGroupId),
  );
}

/** What alb-sync needs to know about an instance absent from every NLB read. */
export interface InstanceFacts {
  /** pending, running, shutting-down, terminated, stopping, stopped; "gone" when EC2 no longer knows it. */
  state: string;
  tags: Record<string, string>;
}

export class Ec2 extends SdkAdapter<typeof Ec2Sdk, Ec2Sdk.EC2Client> {
  static async open(o: AwsClientOptions, stats: ApiCallStats, signal?: AbortSignal): Promise<Ec2> {
    const { sdk, client } = await loadEc2(o, stats);
    return new Ec2(sdk, client, signal);
  }

  /** The VPC's primary CIDR block; null when there is no such VPC. */
  /**
   * These instances by id. EC2 answers an unknown id with InvalidInstanceID.NotFound for the whole
   * call, so a failed batch is asked again one id at a time; an id EC2 says it does not know is
   * "gone". An answer that leaves out an id it did not reject is a short answer and throws.
   */
  async instances(ids: string[]): Promise<Map<string, InstanceFacts>> {
    const ask = async (batch: string[]) => {
      const out = await this.send<Ec2Sdk.DescribeInstancesCommandOutput>(new this.sdk.DescribeInstancesCommand({ InstanceIds: batch }));
      const found = new Map<string, InstanceFacts>();
      for (const r of out.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          found.set(i.InstanceId ?? "", { state: i.State?.Name ?? "unknown", tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])) });
        }
      }
      const missing = batch.filter((id) => !found.has(id));
      if (missing.length) throw new IncompleteAnswer(`DescribeInstances left out ${missing.join(", ")} without saying they do not exist`);
      return found;
    };
    try {
      return await ask(ids);
    } catch (e) {
      if (!hasCode(e, "InvalidInstanceID.NotFound")) throw e;
    }
    const out = new Map<string, InstanceFacts>();
    for (const id of ids) {
      try {
        for (const [k, v] of await ask([id])) out.set(k, v);
      } catch (e) {
        if (!hasCode(e, "InvalidInstanceID.NotFound")) throw e;
        out.set(id, { state: "gone", tags: {} });
      }
    }
    return out;
  }

  async vpcCidr(vpcId: string): Promise<string | null> {
    try {
      const out = await this.send<Ec2Sdk.DescribeVpcsCommandOutput>(new this.sdk.DescribeVpcsCommand({ VpcIds: [vpcId] }));
      return out.Vpcs?.[0]?.CidrBlock ?? null;
    } catch (e) {
      if ((e as { Code?: string; name?: string }).Code === "InvalidVpcID.NotFound" || (e as { name?: string }).name === "InvalidVpcID.NotFound") return null;
      throw e;
    }
  }

  /** Security groups in the VPC matching every filter (tag:KEY=VALUE and group-name), all pages. */
  async findSecurityGroups(vpcId: string, match: { tags?: Record<string, string>; name?: string }): Promise<SecurityGroupInfo[]> {
    const Filters: Ec2Sdk.Filter[] = [{ Name: "vpc-id", Values: [vpcId] }];
    for (const [k, v] of Object.entries(match.tags ?? {})) Filters.push({ Name: `tag:${k}`, Values: [v] });
    if (match.name) Filters.push({ Name: "group-name", Values: [match.name] });
    const out: SecurityGroupInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.send<Ec2Sdk.DescribeSecurityGroupsCommandOutput>(
        new this.sdk.DescribeSecurityGroupsCommand({ Filters, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
      );
      out.push(...(page.SecurityGroups ?? []).map(toSecurityGroup));
      token = page.NextToken || undefined;
    } while (token);
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async securityGroupsById(ids: string[]): Promise<SecurityGroupInfo[]> {
    const out = await this.send<Ec2Sdk.DescribeSecurityGroupsCommandOutput>(new this.sdk.DescribeSecurityGroupsCommand({ GroupIds: ids }));
    return (out.SecurityGroups ?? []).map(toSecurityGroup);
  }

  /** Creates the group with its tags in the same call, so no untagged group can be left behind. */
  async createSecurityGroup(input: { name: string; description: string; vpcId: string; tags: Record<string, string> }): Promise<string> {
    const out = await this.send<Ec2Sdk.CreateSecurityGroupCommandOutput>(
      new this.sdk.CreateSecurityGroupCommand({
        GroupName: input.name,
        Description: input.description,
        VpcId: input.vpcId,
        TagSpecifications: [{ ResourceType: "security-group", Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    if (!out.GroupId) throw new Error("CreateSecurityGroup returned no group id");
    return out.GroupId;
  }

  async authorizeIngress(groupId: string, rules: IngressRule[]): Promise<void> {
    await this.send(
      new this.sdk.AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: rules.map((r) => ({
          IpProtocol: "tcp",
          FromPort: r.port,
          ToPort: r.port,
          ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr, Description: r.description }] } : {}),
          ...(r.sourceGroupId ? { UserIdGroupPairs: [{ GroupId: r.sourceGroupId, Description: r.description }] } : {}),
        })),
      }),
    );
  }
}
