// Where each ALB setting comes from, and the one resolution of them: the site's `alb:` section, the
// command's flags winning, the defaults beneath. A bad value is blamed on the source that set it: the
// flag the operator typed, or the site key they wrote (the site's own values were already checked at
// file:line:column when it loaded, by the same rules). Also the cluster and region every ALB command
// works on, from flags or the node's facts.
import { BadInputError } from "../errors.js";
import type { Facts } from "../facts/types.js";
import type { AlbSite, SiteConfig } from "../site/types.js";
import { albSettingProblems, resolveAlbSettings, type SettingProblem } from "./settings.js";
import type { AlbSettings, AlbSettingsInput } from "./types.js";

/** How an operator sets one AlbSettings field: its flag (with help), and its key in the site's `alb:` section if it has one. */
export interface AlbSettingSource {
  flag: string;
  help: string;
  /** How the flag's text becomes a value before the setting's rule checks it (default: as typed). */
  parse?: "list" | "integer";
  choices?: string[];
  siteKey?: keyof AlbSite;
  /** Also a flag of alb-sync and the self-register commands (the target group), not only of `alb ensure`. */
  everyCommand?: true;
}

/**
 * Every ALB setting, once: the commander options, the flag and site-key names that errors cite, and
 * reading the flags and the site back into AlbSettingsInput all derive from this table (help lists them in this order).
 */
export const ALB_SETTING_SOURCES: Record<keyof AlbSettings, AlbSettingSource> = {
  targetGroupName: { flag: "--target-group-name <name>", help: "Workbench target group (default pwb-<cluster[:19]>-<hash>)", siteKey: "targetGroupName", everyCommand: true },
  targetPort: { flag: "--target-port <port>", help: "Workbench's port on the login nodes", parse: "integer", everyCommand: true },
  albName: { flag: "--alb-name <name>", help: "load balancer name (default pwb-<cluster[:19]>-<hash>)", siteKey: "name" },
  securityGroupName: { flag: "--security-group-name <name>", help: "the ALB's security group (default pwb-alb-<cluster>)" },
  vpcId: { flag: "--vpc-id <id>", help: "VPC of the login nodes (required)", siteKey: "vpcId" },
  subnets: { flag: "--subnets <ids>", help: "ALB subnets, comma-separated, at least two AZs (required)", parse: "list", siteKey: "subnets" },
  certificateArn: { flag: "--certificate-arn <arn>", help: "ACM or IAM server certificate of the HTTPS listener (required)", siteKey: "certificateArn" },
  scheme: { flag: "--scheme <scheme>", help: "ALB scheme", choices: ["internal", "internet-facing"], siteKey: "scheme" },
  listenerPort: { flag: "--listener-port <port>", help: "HTTPS listener port (default 443)", parse: "integer" },
  sslPolicy: { flag: "--ssl-policy <name>", help: "TLS policy of the listener" },
  ingressCidrs: { flag: "--ingress-cidrs <cidrs>", help: "who may reach the listener, comma-separated (default: the VPC's CIDR)", parse: "list", siteKey: "ingressCidrs" },
  targetSecurityGroupIds: { flag: "--target-security-groups <ids>", help: "login nodes' security groups to open on the Workbench port to the ALB", parse: "list", siteKey: "targetSecurityGroupIds" },
  healthCheckPath: { flag: "--health-check-path <path>", help: "Workbench health endpoint (default /health-check)" },
  healthCheckMatcher: { flag: "--health-check-matcher <codes>", help: "healthy HTTP codes (default 200)" },
  healthCheckIntervalSeconds: { flag: "--health-check-interval <seconds>", help: "seconds between health checks (default 5)", parse: "integer" },
  stickiness: { flag: "--no-stickiness", help: "turn sticky sessions off (on by default: lb_cookie)" },
  httpRedirect: { flag: "--no-http-redirect", help: "no HTTP listener on port 80 redirecting to HTTPS (on by default)" },
  hostedZoneId: { flag: "--hosted-zone-id <id>", help: "Route 53 hosted zone of --record-name: keep an A alias to the ALB there", siteKey: "hostedZoneId" },
  recordName: { flag: "--record-name <name>", help: "DNS name of Workbench (e.g. workbench.example.com), in --hosted-zone-id", siteKey: "recordName" },
  stickinessDurationSeconds: { flag: "--stickiness-duration <seconds>", help: "lifetime of the stickiness cookie (default 86400)", parse: "integer" },
  deregistrationDelaySeconds: { flag: "--deregistration-delay <seconds>", help: "time a removed login node gets to finish requests (default 60)", parse: "integer" },
};

const sources = Object.entries(ALB_SETTING_SOURCES) as [keyof AlbSettings, AlbSettingSource][];

/** The CLI flag of each AlbSettings field, so a bad setting is reported under the name the operator typed. */
export const ALB_SETTING_FLAGS = Object.fromEntries(sources.map(([f, src]) => [f, src.flag.split(" ")[0]!])) as Record<keyof AlbSettings, string>;

const defined = (input: AlbSettingsInput): AlbSettingsInput =>
  Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as AlbSettingsInput;

/** The settings the site's `alb:` section sets (the one mapping from site keys to settings). */
export function siteAlbInput(alb: AlbSite): AlbSettingsInput {
  return defined(Object.fromEntries(sources.flatMap(([f, src]) => (src.siteKey ? [[f, alb[src.siteKey]]] : []))) as AlbSettingsInput);
}

export interface ResolveAlbOptions {
  cluster: string;
  /** The loaded site (null: none exists). */
  site: SiteConfig | null;
  /** What the flags set (undefined where a flag was not given). */
  flags: AlbSettingsInput;
  purpose: "sync" | "ensure";
  /** The command, for the message (`alb ensure`). */
  command: string;
}

/**
 * Settings from the site's `alb:` section, flags winning. A site that has no `alb:` section says this
 * cluster has no Workbench ALB: without flags that is bad input. Bad settings: BadInputError naming each
 * at its source, nothing changed.
 */
export function resolveAlbSources(o: ResolveAlbOptions): AlbSettings {
  const given = defined(o.flags);
  const alb = o.site?.alb ?? null;
  if (o.site && !alb && Object.keys(given).length === 0) {
    throw new BadInputError(`${o.command}: the site config has no alb: section, so this cluster has no Workbench ALB; add one or pass flags`);
  }
  const fromSite = alb ? siteAlbInput(alb) : {};
  const settings = resolveAlbSettings(o.cluster, { ...fromSite, ...given });
  const problems = albSettingProblems(settings, o.purpose);
  if (problems.length) {
    const where = (p: SettingProblem) => {
      const key = ALB_SETTING_SOURCES[p.field].siteKey;
      const item = p.index !== undefined ? `[${p.index}]` : "";
      return p.field in given || !key || !(p.field in fromSite) ? `${ALB_SETTING_FLAGS[p.field]}${item}` : `site alb.${key}${item}`;
    };
    const lines = problems.map((p) => `  ${where(p)}: ${p.problem}`);
    throw new BadInputError(`${o.command}: bad settings, nothing was changed:\n${lines.join("\n")}`, { fields: problems.map(where) });
  }
  return settings;
}

/** Cluster name and region: flags first, then the node's facts (dna.json, cfnconfig, IMDS). */
export function clusterAndRegion(flags: { cluster?: string; region?: string }, facts: Facts | null, command: string): { cluster: string; region: string } {
  const cluster = flags.cluster ?? facts?.cluster.name;
  const region = flags.region ?? facts?.cluster.region ?? facts?.instance.region;
  if (!cluster) throw new BadInputError(`${command}: cannot tell the cluster name: the node's facts have none; pass --cluster`);
  if (!region) throw new BadInputError(`${command}: cannot tell the AWS region: the node's facts have none; pass --region`);
  return { cluster, region };
}

/** Whether `alb ensure` has all it needs from the site alone (VPC, two subnets, certificate): nothing to type by hand. */
export function siteAlbComplete(cluster: string | null, alb: AlbSite): boolean {
  return cluster !== null && albSettingProblems(resolveAlbSettings(cluster, siteAlbInput(alb)), "ensure").length === 0;
}
