// `alb ensure`'s pure core: from one read of the account (AlbSnapshot) and the settings, the steps
// that make the Workbench ALB what the settings say. Each step names its resource, what would happen
// ("exists", "would-create", "would-update") and, when something must change, the AWS change to make.
// Drift on what exists is a pending change like any other: fixed in place where AWS can (subnets,
// security groups, listener, health check, redirect), refused where it cannot (the scheme).
// Ids that exist only once an earlier step has created them are placeholders the executor fills in.
import { renderPlan, type PlanEntry } from "../../engine/render.js";
import { BadInputError } from "../../errors.js";
import { hasIngress, type IngressRule, type SecurityGroupInfo } from "../aws/ec2.js";
import type { ListenerInfo, LoadBalancerInfo, TargetGroupInfo, HealthCheckSettings } from "../aws/elbv2.js";
import { dnsKey, type AliasInfo } from "../aws/route53.js";
import type { Owned } from "../owned.js";
import type { AlbSettings } from "../types.js";

export type StepAction = "exists" | "created" | "updated" | "would-create" | "would-update";

export interface EnsureStep {
  resource:
    | "security-group" | "security-group-rules" | "target-group" | "target-group-health-check" | "target-group-attributes"
    | "load-balancer" | "load-balancer-scheme" | "load-balancer-subnets" | "load-balancer-security-groups"
    | "listener" | "target-security-group-rules" | "dns-record";
  name: string;
  action: StepAction;
  id?: string;
  detail?: string;
}

/** Everything `alb ensure` needs to know about the account, read once before anything changes. */
export interface AlbSnapshot {
  /** The VPC's CIDR: the listener's default audience (read only when the settings name no CIDRs). */
  vpcCidr: string | null;
  securityGroup: SecurityGroupInfo | null;
  targetGroup: Owned<TargetGroupInfo> | null;
  /** The target group's attributes (empty when there is no target group). */
  targetGroupAttributes: Map<string, string>;
  loadBalancer: Owned<LoadBalancerInfo> | null;
  /** The load balancer's listeners (empty when there is no load balancer). */
  listeners: ListenerInfo[];
  /** The login nodes' security groups named by the settings. */
  targetSecurityGroups: SecurityGroupInfo[];
  /** The DNS record, when the settings name one; zoneMissing: the hosted zone does not exist. */
  dnsRecord?: { current: AliasInfo | null; zoneMissing: boolean };
}

/** The AWS change a step makes; ids not known at planning time are the NEW_* placeholders. */
export type AlbChange =
  | { kind: "create-security-group" }
  | { kind: "authorize-ingress"; groupId: string; rules: IngressRule[] }
  | { kind: "create-target-group"; healthCheck: HealthCheckSettings }
  | { kind: "modify-health-check"; targetGroupArn: string; healthCheck: HealthCheckSettings }
  | { kind: "set-target-group-attributes"; targetGroupArn: string; attributes: Map<string, string> }
  | { kind: "create-load-balancer"; securityGroupId: string }
  | { kind: "set-subnets"; loadBalancerArn: string; subnets: string[] }
  | { kind: "set-security-groups"; loadBalancerArn: string; securityGroups: string[] }
  /** What AWS cannot change on an existing resource: apply stops before changing anything, saying what to do. */
  | { kind: "cannot-change"; reason: string }
  | { kind: "create-https-listener"; loadBalancerArn: string; targetGroupArn: string }
  | { kind: "modify-https-listener"; listenerArn: string; targetGroupArn: string }
  | { kind: "create-redirect-listener"; loadBalancerArn: string }
  | { kind: "modify-to-redirect"; listenerArn: string }
  | { kind: "upsert-alias"; loadBalancerArn: string };

export interface PlannedStep extends EnsureStep {
  action: "exists" | "would-create" | "would-update";
  change?: AlbChange;
}

/** Placeholders for what an earlier step of the same run creates. */
export const NEW_SECURITY_GROUP = "(new security group)";
export const NEW_TARGET_GROUP = "(new target group)";
export const NEW_LOAD_BALANCER = "(new load balancer)";

/** The plain-HTTP port browsers try first. */
export const HTTP_PORT = 80;

const rulesText = (rules: IngressRule[]) => rules.map((r) => `tcp ${r.port} from ${r.cidr ?? r.sourceGroupId}`).join(", ");

/**
 * The steps, in the order they apply (each needs only what the steps before it made). Throws
 * BadInputError for what no change can fix (a target group of another port or VPC).
 */
export function planAlbEnsure(snap: AlbSnapshot, s: AlbSettings, settingName: (f: keyof AlbSettings) => string = (f) => f): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const sg = snap.securityGroup;
  const sgId = sg?.id ?? NEW_SECURITY_GROUP;

  steps.push(sg
    ? { resource: "security-group", name: sg.name, action: "exists", id: sg.id }
    : { resource: "security-group", name: s.securityGroupName, action: "would-create", detail: `in ${s.vpcId}`, change: { kind: "create-security-group" } });

  const cidrs = s.ingressCidrs.length ? s.ingressCidrs : snap.vpcCidr ? [snap.vpcCidr] : [];
  const listenerRules: IngressRule[] = cidrs.map((cidr) => ({ port: s.listenerPort, cidr, description: "Posit Workbench HTTPS" }));
  if (s.httpRedirect) listenerRules.push(...cidrs.map((cidr) => ({ port: HTTP_PORT, cidr, description: "Posit Workbench HTTP, redirected to HTTPS" })));
  steps.push(ingressStep("security-group-rules", s.securityGroupName, sg, sgId, listenerRules));

  const tgOwned = snap.targetGroup;
  const tg = tgOwned?.item ?? null;
  const tgArn = tg?.arn ?? NEW_TARGET_GROUP;
  const hc: HealthCheckSettings = { path: s.healthCheckPath, matcher: s.healthCheckMatcher, intervalSeconds: s.healthCheckIntervalSeconds };
  if (!tg) {
    const shape = `HTTP ${s.targetPort}, health check ${hc.path} → ${hc.matcher} every ${hc.intervalSeconds} s`;
    steps.push({ resource: "target-group", name: s.targetGroupName, action: "would-create", detail: shape, change: { kind: "create-target-group", healthCheck: hc } });
  } else {
    if (tg.port !== s.targetPort || tg.protocol !== "HTTP" || tg.vpcId !== s.vpcId) {
      throw new BadInputError(
        `${settingName("targetGroupName")}: target group ${tg.name} is ${tg.protocol} ${tg.port} in ${tg.vpcId}, expected HTTP ${s.targetPort} in ${s.vpcId}; ` +
          `a target group's port and VPC cannot change: delete it or choose another name`,
        { field: settingName("targetGroupName") },
      );
    }
    steps.push({ resource: "target-group", name: tg.name, action: "exists", id: tg.arn });
    const h = tg.healthCheck;
    if (h.protocol !== "HTTP" || h.path !== hc.path || h.matcher !== hc.matcher || h.intervalSeconds !== hc.intervalSeconds) {
      const detail = `${h.protocol} ${h.path ?? "-"} → ${h.matcher ?? "-"} every ${h.intervalSeconds} s becomes HTTP ${hc.path} → ${hc.matcher} every ${hc.intervalSeconds} s`;
      steps.push({ resource: "target-group-health-check", name: tg.name, action: "would-update", id: tg.arn, detail, change: { kind: "modify-health-check", targetGroupArn: tg.arn, healthCheck: hc } });
    }
  }

  const want = new Map<string, string>([["stickiness.enabled", String(s.stickiness)]]);
  if (s.stickiness) {
    want.set("stickiness.type", "lb_cookie");
    want.set("stickiness.lb_cookie.duration_seconds", String(s.stickinessDurationSeconds));
  }
  want.set("deregistration_delay.timeout_seconds", String(s.deregistrationDelaySeconds));
  const attrChange = new Map([...want].filter(([k, v]) => snap.targetGroupAttributes.get(k) !== v));
  const tgName = tg?.name ?? s.targetGroupName;
  const attrText = [...(attrChange.size ? attrChange : want)].map(([k, v]) => `${k}=${v}`).join(", ");
  steps.push(attrChange.size
    ? { resource: "target-group-attributes", name: tgName, action: "would-update", detail: attrText, change: { kind: "set-target-group-attributes", targetGroupArn: tgArn, attributes: attrChange } }
    : { resource: "target-group-attributes", name: tgName, action: "exists", detail: attrText });

  const lb = snap.loadBalancer?.item ?? null;
  const lbArn = lb?.arn ?? NEW_LOAD_BALANCER;
  steps.push(...loadBalancerSteps(lb, s, sgId));

  steps.push(httpsListenerStep(s, snap.listeners.find((l) => l.port === s.listenerPort), lbArn, tgArn));
  if (s.httpRedirect) steps.push(redirectListenerStep(s, snap.listeners.find((l) => l.port === HTTP_PORT), lbArn));

  for (const g of snap.targetSecurityGroups) {
    const rule: IngressRule = { port: s.targetPort, sourceGroupId: sgId, description: "Posit Workbench from its ALB" };
    steps.push(ingressStep("target-security-group-rules", g.id, sg ? g : null, g.id, [rule]));
  }

  if (snap.dnsRecord && s.hostedZoneId && s.recordName) steps.push(dnsStep(s.hostedZoneId, s.recordName, snap.dnsRecord, lb));
  return steps;
}

/** The ALB: created, or kept and brought back to its settings where it drifted. */
function loadBalancerSteps(lb: LoadBalancerInfo | null, s: AlbSettings, sgId: string): PlannedStep[] {
  if (!lb) {
    const shape = `${s.scheme} application load balancer in ${s.subnets.join(", ")}, security group ${sgId}`;
    return [{ resource: "load-balancer", name: s.albName, action: "would-create", detail: shape, change: { kind: "create-load-balancer", securityGroupId: sgId } }];
  }
  const steps: PlannedStep[] = [{ resource: "load-balancer", name: lb.name, action: "exists", id: lb.arn }];
  const update = (resource: PlannedStep["resource"], detail: string, change: AlbChange) => steps.push({ resource, name: lb.name, action: "would-update", id: lb.arn, detail, change });
  if (lb.scheme !== s.scheme) {
    const reason = `the Workbench ALB ${lb.name} is ${lb.scheme}, configured ${s.scheme}, and AWS cannot change the scheme of a load balancer: ` +
      `set the scheme back to ${lb.scheme}, or delete the load balancer (aws elbv2 delete-load-balancer --load-balancer-arn ${lb.arn}) and run alb ensure again to recreate it`;
    update("load-balancer-scheme", `scheme ${lb.scheme} becomes ${s.scheme}: AWS cannot change it in place; apply stops (delete the ALB to recreate it)`, { kind: "cannot-change", reason });
  }
  if ([...lb.subnets].sort().join() !== [...s.subnets].sort().join()) {
    update("load-balancer-subnets", `subnets ${lb.subnets.join(", ")} become ${s.subnets.join(", ")}`, { kind: "set-subnets", loadBalancerArn: lb.arn, subnets: s.subnets });
  }
  // Its own group must be attached; a group someone added beside it stays.
  if (!lb.securityGroups.includes(sgId)) {
    const groups = [...lb.securityGroups, sgId];
    update("load-balancer-security-groups", `security groups ${lb.securityGroups.join(", ") || "none"} become ${groups.join(", ")}`, { kind: "set-security-groups", loadBalancerArn: lb.arn, securityGroups: groups });
  }
  return steps;
}

/** Rules `group` lacks; a group not yet there (or whose peer is not yet there) lacks them all. */
function ingressStep(resource: "security-group-rules" | "target-security-group-rules", name: string, group: SecurityGroupInfo | null, groupId: string, wanted: IngressRule[]): PlannedStep {
  const missing = group ? wanted.filter((r) => !hasIngress(group, r)) : wanted;
  if (!missing.length) return { resource, name, action: "exists", detail: rulesText(wanted), ...(group ? { id: group.id } : {}) };
  return { resource, name, action: "would-update", detail: `allow ${rulesText(missing)}`, change: { kind: "authorize-ingress", groupId, rules: missing } };
}

function httpsListenerStep(s: AlbSettings, existing: ListenerInfo | undefined, lbArn: string, tgArn: string): PlannedStep {
  const cert = s.certificateArn!;
  const name = `HTTPS:${s.listenerPort}`;
  const shape = `HTTPS ${s.listenerPort} with ${cert} (${s.sslPolicy}) → ${tgArn}`;
  if (!existing) return { resource: "listener", name, action: "would-create", detail: shape, change: { kind: "create-https-listener", loadBalancerArn: lbArn, targetGroupArn: tgArn } };
  const same = existing.protocol === "HTTPS" && existing.certificates.includes(cert) && existing.sslPolicy === s.sslPolicy &&
    existing.forwardTo.length === 1 && existing.forwardTo[0] === tgArn;
  if (same) return { resource: "listener", name, action: "exists", id: existing.arn };
  const detail = `${existing.protocol} ${existing.port} with ${existing.certificates.join(",") || "no certificate"} → ${existing.forwardTo.join(",") || "no target group"} becomes ${shape}`;
  return { resource: "listener", name, action: "would-update", id: existing.arn, detail, change: { kind: "modify-https-listener", listenerArn: existing.arn, targetGroupArn: tgArn } };
}

/** HTTP on 80 answering 301 to HTTPS on the listener port, so a browser typing the plain name lands on Workbench. */
function redirectListenerStep(s: AlbSettings, existing: ListenerInfo | undefined, lbArn: string): PlannedStep {
  const name = `HTTP:${HTTP_PORT}`;
  const shape = `HTTP ${HTTP_PORT} → 301 to HTTPS ${s.listenerPort}`;
  if (!existing) return { resource: "listener", name, action: "would-create", detail: shape, change: { kind: "create-redirect-listener", loadBalancerArn: lbArn } };
  const r = existing.redirect;
  if (existing.protocol === "HTTP" && r?.protocol === "HTTPS" && r.port === String(s.listenerPort) && r.statusCode === "HTTP_301") {
    return { resource: "listener", name, action: "exists", id: existing.arn };
  }
  const was = r ? `redirect to ${r.protocol} ${r.port}` : `forward to ${existing.forwardTo.join(",") || "nothing"}`;
  return { resource: "listener", name, action: "would-update", id: existing.arn, detail: `${existing.protocol} ${HTTP_PORT} ${was} becomes ${shape}`, change: { kind: "modify-to-redirect", listenerArn: existing.arn } };
}

/** An A alias from the site's DNS name to the ALB, so users reach Workbench by name from day one. */
function dnsStep(zone: string, name: string, record: NonNullable<AlbSnapshot["dnsRecord"]>, lb: LoadBalancerInfo | null): PlannedStep {
  const { current } = record;
  if (lb && current?.dnsName === dnsKey(lb.dnsName) && current.hostedZoneId === lb.canonicalHostedZoneId) {
    return { resource: "dns-record", name, action: "exists", id: zone };
  }
  const shape = `A alias in ${zone} → ${lb?.dnsName ?? "the new ALB"}${record.zoneMissing ? " (the hosted zone was not found)" : ""}`;
  const detail = current ? `${current.dnsName ? `alias to ${current.dnsName}` : "a plain A record"} becomes ${shape}` : shape;
  return { resource: "dns-record", name, action: current ? "would-update" : "would-create", detail, change: { kind: "upsert-alias", loadBalancerArn: lb?.arn ?? NEW_LOAD_BALANCER } };
}

/** The steps that would change something, as the engine's plan entries ("+" create, "~" update). */
export function ensurePlanEntries(steps: readonly EnsureStep[]): PlanEntry[] {
  return steps.flatMap((s): PlanEntry[] => {
    if (s.action !== "would-create" && s.action !== "would-update") return [];
    return [{ id: `${s.resource}:${s.name}`, action: s.action === "would-create" ? "create" : "update", summary: s.detail ? [s.detail] : [] }];
  });
}

/**
 * A plan in the engine's `plan` form: one block per resource that would change, what would change
 * beneath, then the count; resources already as wanted are left out.
 */
export function renderEnsurePlan(steps: readonly EnsureStep[]): string {
  return renderPlan(ensurePlanEntries(steps), "the Workbench ALB");
}
