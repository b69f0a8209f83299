// The one ALB settings model: defaults, and one rule per setting. The rules of the settings the site
// can set are the site section's own (agent/site/sections/alb.ts), so a value the site refuses at
// file:line:column a flag is refused for, in the same words. Problems come back per field (and list
// item); the caller names the field where the operator set it (agent/alb/sources.ts).
import { boolean, string, type ZodType } from "zod";
import { expected, name, port, wholeNumber } from "../site/fields.js";
import { ALB_SITE_FIELDS } from "../site/sections/alb.js";
import { WORKBENCH_PORT } from "../site/sections/workbench.js";
import { defaultAlbName, defaultSecurityGroupName } from "./names.js";
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

/** The rule of each setting: the site's where the site has the key, the same field rules for the rest. */
export const ALB_SETTING_RULES: Record<keyof AlbSettings, ZodType> = {
  targetGroupName: ALB_SITE_FIELDS.targetGroupName,
  targetPort: port,
  albName: ALB_SITE_FIELDS.name,
  securityGroupName: name('a security group name (1-255 printable ASCII characters, not starting with "sg-")', /^(?!sg-)[\x20-\x7e]{1,255}$/, 255),
  vpcId: ALB_SITE_FIELDS.vpcId.nullable(),
  subnets: ALB_SITE_FIELDS.subnets,
  certificateArn: ALB_SITE_FIELDS.certificateArn.nullable(),
  scheme: ALB_SITE_FIELDS.scheme,
  listenerPort: port,
  sslPolicy: name("an ELB security policy name like ELBSecurityPolicy-TLS13-1-2-2021-06", /^ELBSecurityPolicy-[A-Za-z0-9-]+$/, 128),
  ingressCidrs: ALB_SITE_FIELDS.ingressCidrs,
  targetSecurityGroupIds: ALB_SITE_FIELDS.targetSecurityGroupIds,
  healthCheckPath: string(expected("a path starting with / (at most 1024 characters)")).max(1024, expected("a path starting with / (at most 1024 characters)"))
    .regex(/^\/\S*$/, expected("a path starting with / (at most 1024 characters)")),
  healthCheckMatcher: name("an HTTP code list like 200 or 200-299", /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 256),
  healthCheckIntervalSeconds: wholeNumber(5, 300),
  stickiness: boolean(expected("true or false")),
  httpRedirect: boolean(expected("true or false")),
  hostedZoneId: ALB_SITE_FIELDS.hostedZoneId.nullable(),
  recordName: ALB_SITE_FIELDS.recordName.nullable(),
  stickinessDurationSeconds: wholeNumber(1, 604_800),
  deregistrationDelaySeconds: wholeNumber(0, 3600),
};

export interface SettingProblem {
  field: keyof AlbSettings;
  /** The list item at fault, for a list setting. */
  index?: number;
  problem: string;
}

/** What `alb-sync` and the self-register commands need: the target group's name and port. */
const SYNC_FIELDS: (keyof AlbSettings)[] = ["targetGroupName", "targetPort"];

/** The rule's verdict on one value: each issue as "expected …", at its list item. */
function valueProblems(field: keyof AlbSettings, value: unknown): SettingProblem[] {
  const r = ALB_SETTING_RULES[field].safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => {
    const index = typeof i.path[0] === "number" ? i.path[0] : undefined;
    return { field, ...(index !== undefined ? { index } : {}), problem: i.message.startsWith("expected") ? i.message : `expected ${i.message}` };
  });
}

/** What is wrong with these settings for `alb-sync` (names, ports) or `alb ensure` (everything). */
export function albSettingProblems(s: AlbSettings, purpose: "sync" | "ensure"): SettingProblem[] {
  const fields = purpose === "sync" ? SYNC_FIELDS : (Object.keys(ALB_SETTING_RULES) as (keyof AlbSettings)[]);
  const out = fields.flatMap((f) => valueProblems(f, s[f]));
  if (purpose === "sync") return out;
  const bad = (field: keyof AlbSettings, problem: string) => out.push({ field, problem });
  if (!s.vpcId) bad("vpcId", "required: the VPC of the login nodes (vpc-…)");
  if (s.subnets.length < 2) bad("subnets", `at least two subnets in different Availability Zones are required, got ${s.subnets.length}`);
  if (new Set(s.subnets).size !== s.subnets.length) bad("subnets", "a subnet is listed twice");
  if (!s.certificateArn) bad("certificateArn", "required: the certificate of the HTTPS listener (an ACM or IAM server certificate ARN)");
  if (Boolean(s.hostedZoneId) !== Boolean(s.recordName)) {
    bad(s.hostedZoneId ? "recordName" : "hostedZoneId", "a DNS record needs both the hosted zone id and the record name");
  }
  return out;
}
