import { array, enum as oneOf, strictObject, type output } from "zod";
import { awsId, certificateArn, dnsName, elbName, expected, hostedZoneId, ipv4Cidr } from "../fields.js";

/*
 * alb: — the Workbench ALB (`pwb-agent alb ensure` / `alb-sync`). Absent: the head node runs no ALB
 * sync. Every field is optional and defaults from the cluster name (agent/alb/settings.ts); `alb ensure`
 * creates the ALB only when vpcId, subnets and certificateArn are known. The same field rules check
 * `alb ensure`'s flags (agent/alb/settings.ts), so a value is refused alike wherever it was given.
 *
 *   alb:
 *     name: pwb-workbench             # default pwb-<cluster[:19]>-<hash>
 *     targetGroupName: pwb-workbench  # default: the same derived name
 *     vpcId: vpc-0123456789abcdef0
 *     subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
 *     certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/…   # or an IAM server certificate
 *     scheme: internal                # default; or internet-facing
 *     ingressCidrs: [10.0.0.0/16]     # default: the VPC's CIDR block
 *     targetSecurityGroupIds: [sg-0123456789abcdef0]
 *     hostedZoneId: Z0123456789ABCDEFGHIJ   # with recordName: an A alias to the ALB (both or neither)
 *     recordName: workbench.example.com
 */
export const ALB_SITE_FIELDS = {
  name: elbName("an ALB name"),
  targetGroupName: elbName("a target group name"),
  vpcId: awsId("vpc", "a VPC id"),
  subnets: array(awsId("subnet", "a subnet id"), expected("a list of subnet ids")),
  certificateArn,
  scheme: oneOf(["internal", "internet-facing"], expected('"internal" or "internet-facing"')),
  ingressCidrs: array(ipv4Cidr, expected("a list of CIDRs")),
  targetSecurityGroupIds: array(awsId("sg", "a security group id"), expected("a list of security group ids")),
  hostedZoneId,
  recordName: dnsName,
};

export const albSection = strictObject({
  name: ALB_SITE_FIELDS.name.optional(),
  targetGroupName: ALB_SITE_FIELDS.targetGroupName.optional(),
  vpcId: ALB_SITE_FIELDS.vpcId.optional(),
  subnets: ALB_SITE_FIELDS.subnets.optional(),
  certificateArn: ALB_SITE_FIELDS.certificateArn.optional(),
  scheme: ALB_SITE_FIELDS.scheme.optional(),
  ingressCidrs: ALB_SITE_FIELDS.ingressCidrs.optional(),
  targetSecurityGroupIds: ALB_SITE_FIELDS.targetSecurityGroupIds.optional(),
  hostedZoneId: ALB_SITE_FIELDS.hostedZoneId.optional(),
  recordName: ALB_SITE_FIELDS.recordName.optional(),
});

/** Fields left out default from the cluster name (agent/alb/settings.ts). */
export type AlbSite = output<typeof albSection>;
