import { array, enum as oneOf, strictObject, type output } from "zod";
import { expected, name } from "../fields.js";

/*
 * alb: — the Workbench ALB (`pwb-agent alb ensure` / `alb-sync`). Absent: the head node runs no ALB
 * sync. Every field is optional and defaults from the cluster name (agent/alb/settings.ts); `alb ensure`
 * creates the ALB only when vpcId, subnets and certificateArn are known.
 *
 *   alb:
 *     name: pwb-workbench             # default pwb-<cluster[:19]>-<hash>
 *     targetGroupName: pwb-workbench  # default: the same derived name
 *     vpcId: vpc-0123456789abcdef0
 *     subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
 *     certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/…
 *     scheme: internal                # default; or internet-facing
 *     ingressCidrs: [10.0.0.0/16]     # default: the VPC's CIDR block
 *     targetSecurityGroupIds: [sg-0123456789abcdef0]
 *     hostedZoneId: Z0123456789ABCDEFGHIJ   # with recordName: an A alias to the ALB (both or neither)
 *     recordName: workbench.example.com
 */
const elbName = (what: string) =>
  name(`${what} (1-32 letters, digits or '-', not starting or ending with '-')`, /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 32);
const awsId = (prefix: string, what: string) => name(`${what} like ${prefix}-0123456789abcdef0`, new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), prefix.length + 18);

export const albSection = strictObject({
  name: elbName("an ALB name").optional(),
  targetGroupName: elbName("a target group name").optional(),
  vpcId: awsId("vpc", "a VPC id").optional(),
  subnets: array(awsId("subnet", "a subnet id"), expected("a list of subnet ids")).optional(),
  certificateArn: name("an ACM certificate ARN", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 2048).optional(),
  scheme: oneOf(["internal", "internet-facing"], expected('"internal" or "internet-facing"')).optional(),
  ingressCidrs: array(name("an IPv4 CIDR like 10.0.0.0/16", /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 18), expected("a list of CIDRs")).optional(),
  targetSecurityGroupIds: array(awsId("sg", "a security group id"), expected("a list of security group ids")).optional(),
  hostedZoneId: name("a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ", /^Z[A-Z0-9]{1,31}$/, 32).optional(),
  recordName: name("a DNS name like workbench.example.com", /^(?=.{1,253}\.?$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/, 254).optional(),
});

/** Fields left out default from the cluster name (agent/alb/settings.ts). */
export type AlbSite = output<typeof albSection>;
