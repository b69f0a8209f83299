// AlbSettings: defaults and validation. Callers name the fields their own way (a CLI flag, a site
// config key), so problems come back per field and the caller words the error.
import { defaultAlbName, defaultSecurityGroupName, isValidElbName } from "./names.js";
import { WORKBENCH_PORT } from "../site/sections/workbench.js";
import type { AlbSettings, AlbSettingsInput } from "./types.js";

export const ALB_DEFAULTS = {
  scheme: "internal",
  listenerPort: 443,
  httpRedirect: true,
  sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
  ingressCidrs: [],
  targetSecurityGroupIds: [],
  targetPort: WORKBENCH_PORT,
  healthCheckPath: "/health-check",
  healthCheckMatcher: "200",
  // AWS's minimum, with 2 checks to healthy: a new login node is routed to 5 s after it registers.
  healthCheckIntervalSeconds: 5,
  stickiness: true,
  stickinessDurationSeconds: 86_400,
  deregistrationDelaySeconds: 60,
} as const satisfies Partial<AlbSettings>;

/** Settings with every unset field defaulted (names derive from the cluster name). */
export function resolveAlbSettings(cluster: string, input: AlbSettingsInput = {}): AlbSettings {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as AlbSettingsInput;
  return {
    albName: defaultAlbName(cluster),
    targetGroupName: defaultAlbName(cluster),
    securityGroupName: defaultSecurityGroupName(cluster),
    vpcId: null,
    subnets: [],
    certificateArn: null,
    hostedZoneId: null,
    recordName: null,
    ...ALB_DEFAULTS,
    ingressCidrs: [],
    targetSecurityGroupIds: [],
    ...given,
  };
}

export interface SettingProblem {
  field: keyof AlbSettings;
  problem: string;
}

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const CERT_ARN = /^arn:aws[a-z-]*:(acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+|iam::\d{12}:server-certificate\/\S+)$/;
const ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8,17}$`);

/** What is wrong with these settings for `alb-sync` (names, ports) or `alb ensure` (everything). */
export function albSettingProblems(s: AlbSettings, purpose: "sync" | "ensure"): SettingProblem[] {
  const out: SettingProblem[] = [];
  const bad = (field: keyof AlbSettings, problem: string) => out.push({ field, problem });
  const intIn = (field: keyof AlbSettings, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) bad(field, `expected a whole number from ${lo} to ${hi}, got ${v}`);
  };
  const nameRule = "1–32 letters, digits or hyphens, not starting or ending with a hyphen";
  if (!isValidElbName(s.targetGroupName)) bad("targetGroupName", `"${s.targetGroupName}" is not a valid target group name (${nameRule})`);
  intIn("targetPort", s.targetPort, 1, 65535);
  if (purpose === "sync") return out;

  if (!isValidElbName(s.albName)) bad("albName", `"${s.albName}" is not a valid load balancer name (${nameRule}, not starting with "internal-")`);
  if (!s.securityGroupName || s.securityGroupName.length > 255 || s.securityGroupName.startsWith("sg-") || !/^[\x20-\x7e]+$/.test(s.securityGroupName)) {
    bad("securityGroupName", `"${s.securityGroupName}" is not a valid security group name (1–255 printable ASCII characters, not starting with "sg-")`);
  }
  if (!s.vpcId) bad("vpcId", "required: the VPC of the login nodes (vpc-…)");
  else if (!ID("vpc").test(s.vpcId)) bad("vpcId", `"${s.vpcId}" is not a VPC id (vpc- and 8 or 17 hex digits)`);
  if (s.subnets.length < 2) bad("subnets", `at least two subnets in different Availability Zones are required, got ${s.subnets.length}`);
  for (const sn of s.subnets) if (!ID("subnet").test(sn)) bad("subnets", `"${sn}" is not a subnet id (subnet- and 8 or 17 hex digits)`);
  if (new Set(s.subnets).size !== s.subnets.length) bad("subnets", "a subnet is listed twice");
  if (!s.certificateArn) bad("certificateArn", "required: the ACM certificate of the HTTPS listener (arn:aws:acm:…:certificate/…)");
  else if (!CERT_ARN.test(s.certificateArn)) bad("certificateArn", `"${s.certificateArn}" is not an ACM certificate ARN`);
  if (s.scheme !== "internal" && s.scheme !== "internet-facing") bad("scheme", `expected internal or internet-facing, got ${String(s.scheme)}`);
  intIn("listenerPort", s.listenerPort, 1, 65535);
  if (!/^ELBSecurityPolicy-[A-Za-z0-9-]+$/.test(s.sslPolicy)) bad("sslPolicy", `"${s.sslPolicy}" is not an ELB security policy name`);
  for (const c of s.ingressCidrs) if (!CIDR.test(c)) bad("ingressCidrs", `"${c}" is not an IPv4 CIDR block`);
  for (const g of s.targetSecurityGroupIds) if (!ID("sg").test(g)) bad("targetSecurityGroupIds", `"${g}" is not a security group id`);
  if (!s.healthCheckPath.startsWith("/") || s.healthCheckPath.length > 1024) bad("healthCheckPath", `"${s.healthCheckPath}" must start with / (at most 1024 characters)`);
  if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(s.healthCheckMatcher)) bad("healthCheckMatcher", `"${s.healthCheckMatcher}" is not an HTTP code list like 200 or 200-299`);
  intIn("healthCheckIntervalSeconds", s.healthCheckIntervalSeconds, 5, 300);
  intIn("stickinessDurationSeconds", s.stickinessDurationSeconds, 1, 604_800);
  intIn("deregistrationDelaySeconds", s.deregistrationDelaySeconds, 0, 3600);
  if (Boolean(s.hostedZoneId) !== Boolean(s.recordName)) {
    bad(s.hostedZoneId ? "recordName" : "hostedZoneId", "a DNS record needs both the hosted zone id and the record name");
  }
  if (s.hostedZoneId && !/^Z[A-Z0-9]{1,31}$/.test(s.hostedZoneId)) bad("hostedZoneId", `"${s.hostedZoneId}" is not a Route 53 hosted zone id (Z and capital letters or digits)`);
  if (s.recordName && !/^(?=.{1,253}\.?$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/.test(s.recordName)) {
    bad("recordName", `"${s.recordName}" is not a DNS name like workbench.example.com`);
  }
  return out;
}
