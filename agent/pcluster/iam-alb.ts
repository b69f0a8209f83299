// The Workbench ALB's share of the head and login policies, scoped to this cluster, its region and
// what the site's `alb:` section names. Condition keys are only those AWS evaluates for the action
// (test/unit/iam-catalog.test.ts checks each against the Service Authorization Reference): a key an
// action does not support is simply absent from the request and, under ForAllValues, always true.
import { PWB_MANAGED_BY, PWB_TAG_CLUSTER, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE, type PwbRole } from "../alb/types.js";
import type { AlbScope, RenderInput } from "./input.js";

export type Statement = Record<string, unknown>;

const arn = (input: RenderInput, service: string, resource: string) => `arn:${input.partition}:${service}:${input.region}:${input.accountId}:${resource}`;
const elb = (input: RenderInput, resource: string) => arn(input, "elasticloadbalancing", resource);
const ec2 = (input: RenderInput, resource: string) => arn(input, "ec2", resource);

/** What `alb ensure` tags everything with (agent/alb/owned.ts): this cluster's, made by pwb-agent. */
function owned(input: RenderInput, role?: PwbRole, tag: "ResourceTag" | "RequestTag" = "ResourceTag"): Record<string, string> {
  return {
    [`aws:${tag}/${PWB_TAG_MANAGED_BY}`]: PWB_MANAGED_BY,
    [`aws:${tag}/${PWB_TAG_CLUSTER}`]: input.clusterName,
    ...(role ? { [`aws:${tag}/${PWB_TAG_ROLE}`]: role } : {}),
  };
}

/** Describe calls take no resource-level scope ("*"); the region they may ask about is pinned instead. */
const inRegion = (input: RenderInput) => ({ StringEquals: { "aws:RequestedRegion": input.region } });

/**
 * Route 53 normalises record names before it compares them with
 * route53:ChangeResourceRecordSetsNormalizedRecordNames: lower case, no trailing dot. The site's
 * recordName admits only letters, digits, hyphens and dots, so no character needs escaping.
 */
export const normalizedRecordName = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * The head node: `alb-sync` (register and deregister the login nodes in the Workbench target group)
 * and `alb ensure` (create and adjust the ALB, its listeners, target group and security group, open
 * the login nodes' security groups to it, keep its DNS alias). Creation needs the site's VPC; the DNS
 * alias its zone and record name; opening login security groups their ids: a part the site leaves
 * out is not granted.
 */
// size: the head's ALB grants as one list a security reviewer reads top to bottom; split, what is
// granted would be spread over helpers.
export function headAlbStatements(input: RenderInput, alb: AlbScope): Statement[] {
  const targetGroups = elb(input, "targetgroup/*/*");
  const loadBalancers = elb(input, "loadbalancer/app/*/*");
  const listeners = elb(input, "listener/app/*/*/*");
  const out: Statement[] = [
    {
      Sid: "ReadLoadBalancingInThisRegion",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
      ],
      Resource: "*",
      Condition: inRegion(input),
    },
    {
      Sid: "ReadNetworkInThisRegion",
      Effect: "Allow",
      Action: ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"],
      Resource: "*",
      Condition: inRegion(input),
    },
    {
      Sid: "SyncTargetsOfThisClustersWorkbenchTargetGroupOnly",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: targetGroups,
      Condition: { StringEquals: owned(input, "workbench-target-group") },
    },
  ];
  if (!alb.vpcId) return out;
  const vpc = ec2(input, `vpc/${alb.vpcId}`);
  const securityGroups = ec2(input, "security-group/*");
  out.push(
    {
      Sid: "CreateOnlyTargetGroupTaggedForThisCluster",
      Effect: "Allow",
      Action: "elasticloadbalancing:CreateTargetGroup",
      Resource: targetGroups,
      Condition: { StringEquals: owned(input, "workbench-target-group", "RequestTag") },
    },
    {
      Sid: "CreateOnlyAlbTaggedForThisClusterWithTheSitesSchemeAndSubnets",
      Effect: "Allow",
      Action: "elasticloadbalancing:CreateLoadBalancer",
      Resource: loadBalancers,
      Condition: {
        StringEquals: { ...owned(input, "workbench-alb", "RequestTag"), "elasticloadbalancing:Scheme": alb.scheme },
        ...(alb.subnets.length
          ? { "ForAllValues:StringEquals": { "elasticloadbalancing:Subnet": alb.subnets }, Null: { "elasticloadbalancing:Subnet": "false" } }
          : {}),
      },
    },
    {
      Sid: "CreateListenerOnThisClustersAlbOnly",
      Effect: "Allow",
      Action: "elasticloadbalancing:CreateListener",
      Resource: loadBalancers,
      Condition: { StringEquals: { ...owned(input, "workbench-alb"), ...owned(input, "workbench-listener", "RequestTag") } },
    },
    {
      Sid: "TagLoadBalancingOnlyWhileCreating",
      Effect: "Allow",
      Action: "elasticloadbalancing:AddTags",
      Resource: [targetGroups, loadBalancers, listeners],
      Condition: {
        StringEquals: {
          "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer", "CreateListener"],
          ...owned(input, undefined, "RequestTag"),
        },
      },
    },
    {
      Sid: "AdjustThisClustersTargetGroupOnly",
      Effect: "Allow",
      Action: ["elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes"],
      Resource: targetGroups,
      Condition: { StringEquals: owned(input, "workbench-target-group") },
    },
    {
      Sid: "AdjustThisClustersListenersOnly",
      Effect: "Allow",
      Action: "elasticloadbalancing:ModifyListener",
      Resource: listeners,
      Condition: { StringEquals: owned(input, "workbench-listener") },
    },
    // Drift repair (alb ensure): subnets only to the site's; security groups keep any an admin added.
    {
      Sid: "MoveThisClustersAlbToTheSitesSubnetsOnly",
      Effect: "Allow",
      Action: "elasticloadbalancing:SetSubnets",
      Resource: loadBalancers,
      Condition: {
        StringEquals: owned(input, "workbench-alb"),
        ...(alb.subnets.length
          ? { "ForAllValues:StringEquals": { "elasticloadbalancing:Subnet": alb.subnets }, Null: { "elasticloadbalancing:Subnet": "false" } }
          : {}),
      },
    },
    {
      Sid: "SetSecurityGroupsOfThisClustersAlbOnly",
      Effect: "Allow",
      Action: "elasticloadbalancing:SetSecurityGroups",
      Resource: loadBalancers,
      Condition: { StringEquals: owned(input, "workbench-alb") },
    },
    // CreateSecurityGroup is authorised against the new group and against the VPC it goes in.
    {
      Sid: "CreateSecurityGroupOnlyTaggedForThisCluster",
      Effect: "Allow",
      Action: "ec2:CreateSecurityGroup",
      Resource: securityGroups,
      Condition: { StringEquals: owned(input, "workbench-alb-security-group", "RequestTag") },
    },
    { Sid: "CreateSecurityGroupInTheSitesVpcOnly", Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: vpc },
    {
      Sid: "TagSecurityGroupOnlyWhileCreating",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: securityGroups,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup", ...owned(input, "workbench-alb-security-group", "RequestTag") } },
    },
    {
      Sid: "OpenThisClustersAlbSecurityGroupOnly",
      Effect: "Allow",
      Action: "ec2:AuthorizeSecurityGroupIngress",
      Resource: securityGroups,
      Condition: { StringEquals: { ...owned(input, "workbench-alb-security-group"), "ec2:Vpc": vpc } },
    },
  );
  if (alb.targetSecurityGroupIds.length) {
    // Named by id in the site: tighter than any tag, and works for groups ParallelCluster did not make.
    out.push({
      Sid: "OpenTheSitesLoginSecurityGroupsToTheAlb",
      Effect: "Allow",
      Action: "ec2:AuthorizeSecurityGroupIngress",
      Resource: alb.targetSecurityGroupIds.map((id) => ec2(input, `security-group/${id}`)),
      Condition: { StringEquals: { "ec2:Vpc": vpc } },
    });
  }
  if (alb.hostedZoneId && alb.recordName) {
    const zone = `arn:${input.partition}:route53:::hostedzone/${alb.hostedZoneId}`;
    out.push(
      // ListResourceRecordSets supports no condition key: the zone is its only limit.
      { Sid: "ReadTheSitesHostedZone", Effect: "Allow", Action: "route53:ListResourceRecordSets", Resource: zone },
      {
        Sid: "UpsertTheWorkbenchAliasOnly",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: zone,
        Condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [normalizedRecordName(alb.recordName)],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
          // ForAllValues holds for an absent key: require each one in the request.
          Null: {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false",
            "route53:ChangeResourceRecordSetsRecordTypes": "false",
            "route53:ChangeResourceRecordSetsActions": "false",
          },
        },
      },
    );
  }
  return out;
}

/**
 * A login node puts itself in and takes itself out of this cluster's Workbench target group
 * (pwb-alb-self.service): the lookups, and the two target changes on the group `alb ensure` tagged
 * for this cluster in this region. IAM cannot say which instance: RegisterTargets and
 * DeregisterTargets carry no condition key on the targets (only the group's tags), so a login node
 * can register or deregister any instance in that one group; see docs/threat-model.md.
 */
export function loginAlbStatements(input: RenderInput): Statement[] {
  return [
    {
      Sid: "LoginFindsWorkbenchTargetGroupAndItsOwnHealth",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
      ],
      Resource: "*",
      Condition: inRegion(input),
    },
    {
      Sid: "LoginRegistersItselfInThisClustersWorkbenchTargetGroupOnly",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: elb(input, "targetgroup/*/*"),
      Condition: { StringEquals: owned(input, "workbench-target-group") },
    },
  ];
}
