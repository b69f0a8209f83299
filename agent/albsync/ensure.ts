// `alb ensure`: find or create, in order, the ALB's security group and its rules, the Workbench
// target group and its attributes, the internal ALB, and the HTTPS listener. Each step reads first
// and changes only what is missing or different, so a re-run (or the run after an interrupted one)
// completes the set without duplicating anything.
import { BadInputError, RuntimeFailure } from "../errors.js";
import type { Logger } from "../log.js";
import { Ec2, hasIngress, type IngressRule, type SecurityGroupInfo } from "./aws/ec2.js";
import { dnsKey, Route53 } from "./aws/route53.js";
import { Elbv2, type LoadBalancerInfo, type TargetGroupInfo } from "./aws/elbv2.js";
import { describeError, hasCode } from "./aws/errors.js";
import { ApiCallStats, type AwsClientOptions } from "./aws/sdk.js";
import { findOwnedLoadBalancer, findOwnedTargetGroup, isOwned, ownedTags } from "./owned.js";
import { PWB_TAG_CLUSTER, PWB_TAG_ROLE, type AlbSettings } from "./types.js";

export interface AlbEnsureOptions {
  cluster: string;
  region: string;
  settings: AlbSettings;
  /** Read and report; create and change nothing. */
  dryRun?: boolean;
  aws?: Omit<AwsClientOptions, "region">;
  log: Logger;
  /** How each setting is called where the operator sets it (default: the field name). */
  settingName?: (field: keyof AlbSettings) => string;
}

export type StepAction = "exists" | "created" | "updated" | "would-create" | "would-update";

export interface EnsureStep {
  resource: "security-group" | "security-group-rules" | "target-group" | "target-group-health-check" | "target-group-attributes" | "load-balancer" | "listener" | "target-security-group-rules" | "dns-record";
  name: string;
  action: StepAction;
  id?: string;
  detail?: string;
}

export interface AlbEnsureReport {
  dryRun: boolean;
  steps: EnsureStep[];
  securityGroupId: string | null;
  targetGroupArn: string | null;
  loadBalancerArn: string | null;
  listenerArn: string | null;
  dnsName: string | null;
  apiCalls: number;
}

/** The plain-HTTP port browsers try first. */
const HTTP_PORT = 80;

const NEW = "(new)";

export async function runAlbEnsure(o: AlbEnsureOptions): Promise<AlbEnsureReport> {
  const stats = new ApiCallStats();
  const aws = { region: o.region, ...o.aws };
  const [ec2, elb] = await Promise.all([Ec2.open(aws, stats), Elbv2.open(aws, stats)]);
  const report: AlbEnsureReport = {
    dryRun: o.dryRun ?? false, steps: [], securityGroupId: null, targetGroupArn: null, loadBalancerArn: null, listenerArn: null, dnsName: null, apiCalls: 0,
  };
  let current = "starting";
  let route53: Route53 | null = null;
  try {
    const e = new Ensurer(o, ec2, elb, report);
    current = "security group";
    const sg = await e.securityGroup();
    current = "security group rules";
    await e.listenerIngress(sg);
    current = "target group";
    const tg = await e.targetGroup();
    current = "target group attributes";
    await e.targetGroupAttributes(tg);
    current = "load balancer";
    const lb = await e.loadBalancer(report.securityGroupId ?? NEW);
    current = "listener";
    await e.listener(lb, report.targetGroupArn ?? NEW);
    current = "HTTP redirect listener";
    await e.redirectListener(lb);
    current = "login nodes' security groups";
    await e.targetIngress(report.securityGroupId ?? NEW);
    if (o.settings.hostedZoneId && o.settings.recordName) {
      current = "DNS record";
      // Route 53's client is only loaded for a site that names a record.
      route53 = await Route53.open(aws, stats);
      await e.dnsRecord(route53, lb);
    }
    return report;
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    const done = report.steps.filter((s) => s.action === "created" || s.action === "updated").map((s) => `${s.action} ${s.resource} ${s.name}`);
    throw new RuntimeFailure(`alb ensure failed at the ${current}: ${describeError(err)}. Run it again to finish: it picks up what exists.`, { alreadyApplied: done });
  } finally {
    report.apiCalls = stats.attempts;
    ec2.close();
    elb.close();
    route53?.close();
  }
}

class Ensurer {
  private readonly s: AlbSettings;
  private readonly dry: boolean;
  private readonly name: (f: keyof AlbSettings) => string;

  constructor(
    private readonly o: AlbEnsureOptions,
    private readonly ec2: Ec2,
    private readonly elb: Elbv2,
    private readonly report: AlbEnsureReport,
  ) {
    this.s = o.settings;
    this.dry = o.dryRun ?? false;
    this.name = o.settingName ?? ((f) => f);
  }

  private step(s: EnsureStep): void {
    this.report.steps.push(s);
    const level = s.action === "exists" ? "debug" : "info";
    this.o.log[level]({ resource: s.resource, name: s.name, action: s.action, id: s.id, detail: s.detail }, `${s.action} ${s.resource} ${s.name}`);
  }

  private get vpcId(): string {
    return this.s.vpcId!;
  }

  async securityGroup(): Promise<SecurityGroupInfo | null> {
    const { cluster } = this.o;
    const tags = ownedTags(cluster, "workbench-alb-security-group");
    const name = this.s.securityGroupName;
    const [found] = await this.ec2.findSecurityGroups(this.vpcId, { tags: { [PWB_TAG_CLUSTER]: cluster, [PWB_TAG_ROLE]: "workbench-alb-security-group" } });
    if (found) {
      this.report.securityGroupId = found.id;
      this.step({ resource: "security-group", name: found.name, action: "exists", id: found.id });
      return found;
    }
    if (this.dry) {
      this.step({ resource: "security-group", name, action: "would-create", detail: `in ${this.vpcId}, tagged ${cluster}` });
      return null;
    }
    let id: string;
    try {
      id = await this.ec2.createSecurityGroup({ name, description: `Posit Workbench ALB of cluster ${cluster} (pwb-agent)`, vpcId: this.vpcId, tags: { ...tags, Name: name } });
    } catch (e) {
      if (!hasCode(e, "InvalidGroup.Duplicate")) throw e;
      // Created by an earlier try whose answer was lost (EC2 has no idempotency token here), or someone else's.
      const [same] = await this.ec2.findSecurityGroups(this.vpcId, { name });
      if (!same || !isOwned(same.tags, cluster, "workbench-alb-security-group")) {
        throw new BadInputError(`${this.name("securityGroupName")}: security group ${name} already exists in ${this.vpcId} and was not created by pwb-agent for ${cluster}; choose another name`, {
          field: this.name("securityGroupName"),
        });
      }
      id = same.id;
    }
    this.report.securityGroupId = id;
    this.step({ resource: "security-group", name, action: "created", id });
    return (await this.ec2.securityGroupsById([id]))[0] ?? null;
  }

  async listenerIngress(sg: SecurityGroupInfo | null): Promise<void> {
    let cidrs = this.s.ingressCidrs;
    if (!cidrs.length) {
      const cidr = await this.ec2.vpcCidr(this.vpcId);
      if (!cidr) throw new BadInputError(`${this.name("vpcId")}: VPC ${this.vpcId} does not exist in ${this.o.region}`, { field: this.name("vpcId") });
      cidrs = [cidr];
    }
    const wanted: IngressRule[] = cidrs.map((cidr) => ({ port: this.s.listenerPort, cidr, description: "Posit Workbench HTTPS" }));
    if (this.s.httpRedirect) wanted.push(...cidrs.map((cidr) => ({ port: HTTP_PORT, cidr, description: "Posit Workbench HTTP, redirected to HTTPS" })));
    await this.ensureIngress(sg, this.s.securityGroupName, wanted, "security-group-rules");
  }

  private async ensureIngress(sg: SecurityGroupInfo | null, name: string, wanted: IngressRule[], resource: EnsureStep["resource"]): Promise<void> {
    const missing = sg ? wanted.filter((r) => !hasIngress(sg, r)) : wanted;
    const what = (rules: IngressRule[]) => rules.map((r) => `tcp ${r.port} from ${r.cidr ?? r.sourceGroupId}`).join(", ");
    if (!missing.length) {
      this.step({ resource, name, action: "exists", detail: what(wanted), ...(sg ? { id: sg.id } : {}) });
      return;
    }
    if (this.dry || !sg) {
      this.step({ resource, name, action: "would-update", detail: `allow ${what(missing)}` });
      return;
    }
    try {
      await this.ec2.authorizeIngress(sg.id, missing);
    } catch (e) {
      if (!hasCode(e, "InvalidPermission.Duplicate")) throw e; // added meanwhile: the state is what we want
    }
    this.step({ resource, name, action: "updated", id: sg.id, detail: `allow ${what(missing)}` });
  }

  async targetGroup(): Promise<TargetGroupInfo | null> {
    const s = this.s;
    const found = await findOwnedTargetGroup(this.elb, this.o.cluster, s.targetGroupName, this.vpcId, this.name("targetGroupName"));
    const hc = { path: s.healthCheckPath, matcher: s.healthCheckMatcher, intervalSeconds: s.healthCheckIntervalSeconds };
    const shape = `HTTP ${s.targetPort}, health check ${hc.path} → ${hc.matcher} every ${hc.intervalSeconds} s`;
    if (!found) {
      if (this.dry) {
        this.step({ resource: "target-group", name: s.targetGroupName, action: "would-create", detail: shape });
        return null;
      }
      const tg = await this.elb.createTargetGroup({ name: s.targetGroupName, port: s.targetPort, vpcId: this.vpcId, healthCheck: hc, tags: ownedTags(this.o.cluster, "workbench-target-group") });
      this.report.targetGroupArn = tg.arn;
      this.step({ resource: "target-group", name: tg.name, action: "created", id: tg.arn, detail: shape });
      return tg;
    }
    const tg = found.item;
    this.report.targetGroupArn = tg.arn;
    if (found.renamed) this.o.log.warn({ found: tg.name, configured: s.targetGroupName }, "found the Workbench target group by its tags under another name; keeping it");
    if (tg.port !== s.targetPort || tg.protocol !== "HTTP" || tg.vpcId !== this.vpcId) {
      throw new BadInputError(
        `${this.name("targetGroupName")}: target group ${tg.name} is ${tg.protocol} ${tg.port} in ${tg.vpcId}, expected HTTP ${s.targetPort} in ${this.vpcId}; ` +
          `a target group's port and VPC cannot change: delete it or choose another name`,
        { field: this.name("targetGroupName") },
      );
    }
    this.step({ resource: "target-group", name: tg.name, action: "exists", id: tg.arn });
    const h = tg.healthCheck;
    if (h.protocol !== "HTTP" || h.path !== hc.path || h.matcher !== hc.matcher || h.intervalSeconds !== hc.intervalSeconds) {
      const detail = `${h.protocol} ${h.path ?? "-"} → ${h.matcher ?? "-"} every ${h.intervalSeconds} s becomes HTTP ${hc.path} → ${hc.matcher} every ${hc.intervalSeconds} s`;
      if (!this.dry) await this.elb.modifyHealthCheck(tg.arn, hc);
      this.step({ resource: "target-group-health-check", name: tg.name, action: this.dry ? "would-update" : "updated", id: tg.arn, detail });
    }
    return tg;
  }

  async targetGroupAttributes(tg: TargetGroupInfo | null): Promise<void> {
    const s = this.s;
    const want = new Map<string, string>([["stickiness.enabled", String(s.stickiness)]]);
    if (s.stickiness) {
      want.set("stickiness.type", "lb_cookie");
      want.set("stickiness.lb_cookie.duration_seconds", String(s.stickinessDurationSeconds));
    }
    want.set("deregistration_delay.timeout_seconds", String(s.deregistrationDelaySeconds));
    const have = tg ? await this.elb.targetGroupAttributes(tg.arn) : new Map<string, string>();
    const change = new Map([...want].filter(([k, v]) => have.get(k) !== v));
    const name = tg?.name ?? s.targetGroupName;
    const detail = [...(change.size ? change : want)].map(([k, v]) => `${k}=${v}`).join(", ");
    if (!change.size) {
      this.step({ resource: "target-group-attributes", name, action: "exists", detail });
      return;
    }
    if (this.dry || !tg) {
      this.step({ resource: "target-group-attributes", name, action: "would-update", detail });
      return;
    }
    await this.elb.setTargetGroupAttributes(tg.arn, change);
    this.step({ resource: "target-group-attributes", name, action: "updated", id: tg.arn, detail });
  }

  async loadBalancer(securityGroupId: string): Promise<LoadBalancerInfo | null> {
    const s = this.s;
    const found = await findOwnedLoadBalancer(this.elb, this.o.cluster, s.albName, this.vpcId, this.name("albName"));
    if (found) {
      const lb = found.item;
      if (found.renamed) this.o.log.warn({ found: lb.name, configured: s.albName }, "found the Workbench ALB by its tags under another name; keeping it");
      const notes: string[] = [];
      if (lb.scheme !== s.scheme) notes.push(`scheme is ${lb.scheme}, configured ${s.scheme} (a scheme cannot change: delete the ALB to recreate it)`);
      if (securityGroupId !== NEW && !lb.securityGroups.includes(securityGroupId)) notes.push(`security group ${securityGroupId} is not attached`);
      if ([...lb.subnets].sort().join() !== [...s.subnets].sort().join()) notes.push(`subnets are ${lb.subnets.join(",")}, configured ${s.subnets.join(",")}`);
      for (const n of notes) this.o.log.warn({ loadBalancer: lb.name }, `the existing Workbench ALB differs from its settings: ${n}`);
      this.report.loadBalancerArn = lb.arn;
      this.report.dnsName = lb.dnsName;
      this.step({ resource: "load-balancer", name: lb.name, action: "exists", id: lb.arn, ...(notes.length ? { detail: notes.join("; ") } : {}) });
      return lb;
    }
    const shape = `${s.scheme} application load balancer in ${s.subnets.join(", ")}, security group ${securityGroupId}`;
    if (this.dry) {
      this.step({ resource: "load-balancer", name: s.albName, action: "would-create", detail: shape });
      return null;
    }
    const lb = await this.elb.createLoadBalancer({ name: s.albName, subnets: s.subnets, securityGroups: [securityGroupId], scheme: s.scheme, tags: ownedTags(this.o.cluster, "workbench-alb") });
    this.report.loadBalancerArn = lb.arn;
    this.report.dnsName = lb.dnsName;
    this.step({ resource: "load-balancer", name: lb.name, action: "created", id: lb.arn, detail: shape });
    return lb;
  }

  async listener(lb: LoadBalancerInfo | null, targetGroupArn: string): Promise<void> {
    const s = this.s;
    const cert = s.certificateArn!;
    const name = `HTTPS:${s.listenerPort}`;
    const shape = `HTTPS ${s.listenerPort} with ${cert} (${s.sslPolicy}) → ${targetGroupArn}`;
    const existing = lb ? (await this.elb.listeners(lb.arn)).find((l) => l.port === s.listenerPort) : undefined;
    if (!lb || !existing) {
      if (this.dry || !lb || targetGroupArn === NEW) {
        this.step({ resource: "listener", name, action: "would-create", detail: shape });
        return;
      }
      const l = await this.elb.createHttpsListener({ loadBalancerArn: lb.arn, port: s.listenerPort, certificateArn: cert, sslPolicy: s.sslPolicy, targetGroupArn, tags: ownedTags(this.o.cluster, "workbench-listener") });
      this.report.listenerArn = l.arn;
      this.step({ resource: "listener", name, action: "created", id: l.arn, detail: shape });
      return;
    }
    this.report.listenerArn = existing.arn;
    const same = existing.protocol === "HTTPS" && existing.certificates.includes(cert) && existing.sslPolicy === s.sslPolicy &&
      existing.forwardTo.length === 1 && existing.forwardTo[0] === targetGroupArn;
    if (same) {
      this.step({ resource: "listener", name, action: "exists", id: existing.arn });
      return;
    }
    const detail = `${existing.protocol} ${existing.port} with ${existing.certificates.join(",") || "no certificate"} → ${existing.forwardTo.join(",") || "no target group"} becomes ${shape}`;
    if (!this.dry && targetGroupArn !== NEW) {
      await this.elb.modifyHttpsListener({ listenerArn: existing.arn, port: s.listenerPort, certificateArn: cert, sslPolicy: s.sslPolicy, targetGroupArn });
    }
    this.step({ resource: "listener", name, action: this.dry ? "would-update" : "updated", id: existing.arn, detail });
  }

  /** HTTP on 80 answering 301 to HTTPS on the listener port, so a browser typing the plain name lands on Workbench. */
  async redirectListener(lb: LoadBalancerInfo | null): Promise<void> {
    const s = this.s;
    if (!s.httpRedirect) return;
    const name = `HTTP:${HTTP_PORT}`;
    const shape = `HTTP ${HTTP_PORT} → 301 to HTTPS ${s.listenerPort}`;
    const existing = lb ? (await this.elb.listeners(lb.arn)).find((l) => l.port === HTTP_PORT) : undefined;
    if (!lb || !existing) {
      if (this.dry || !lb) {
        this.step({ resource: "listener", name, action: "would-create", detail: shape });
        return;
      }
      const l = await this.elb.createRedirectListener({ loadBalancerArn: lb.arn, port: HTTP_PORT, httpsPort: s.listenerPort, tags: ownedTags(this.o.cluster, "workbench-listener") });
      this.step({ resource: "listener", name, action: "created", id: l.arn, detail: shape });
      return;
    }
    const r = existing.redirect;
    if (existing.protocol === "HTTP" && r?.protocol === "HTTPS" && r.port === String(s.listenerPort) && r.statusCode === "HTTP_301") {
      this.step({ resource: "listener", name, action: "exists", id: existing.arn });
      return;
    }
    if (!this.dry) await this.elb.modifyToRedirect(existing.arn, s.listenerPort);
    const was = r ? `redirect to ${r.protocol} ${r.port}` : `forward to ${existing.forwardTo.join(",") || "nothing"}`;
    this.step({ resource: "listener", name, action: this.dry ? "would-update" : "updated", id: existing.arn, detail: `${existing.protocol} ${HTTP_PORT} ${was} becomes ${shape}` });
  }

  /** An A alias from the site's DNS name to the ALB, so users reach Workbench by name from day one. */
  async dnsRecord(route53: Route53, lb: LoadBalancerInfo | null): Promise<void> {
    const zone = this.s.hostedZoneId!;
    const name = this.s.recordName!;
    const current = await route53.aRecord(zone, name);
    const target = lb ? { dnsName: lb.dnsName, hostedZoneId: lb.canonicalHostedZoneId } : null;
    const shape = `A alias in ${zone} → ${target?.dnsName ?? "the new ALB"}`;
    if (target && current?.dnsName === dnsKey(target.dnsName) && current.hostedZoneId === target.hostedZoneId) {
      this.step({ resource: "dns-record", name, action: "exists", id: zone });
      return;
    }
    const detail = current ? `${current.dnsName ? `alias to ${current.dnsName}` : "a plain A record"} becomes ${shape}` : shape;
    if (this.dry || !target) {
      this.step({ resource: "dns-record", name, action: current ? "would-update" : "would-create", detail });
      return;
    }
    await route53.upsertAlias(zone, name, target);
    this.step({ resource: "dns-record", name, action: current ? "updated" : "created", id: zone, detail });
  }

  async targetIngress(albSecurityGroupId: string): Promise<void> {
    const ids = this.s.targetSecurityGroupIds;
    if (!ids.length) return;
    let groups: SecurityGroupInfo[];
    try {
      groups = await this.ec2.securityGroupsById(ids);
    } catch (e) {
      if (hasCode(e, "InvalidGroup.NotFound")) {
        throw new BadInputError(`${this.name("targetSecurityGroupIds")}: ${describeError(e)}`, { field: this.name("targetSecurityGroupIds") });
      }
      throw e;
    }
    for (const g of groups) {
      const rule: IngressRule = { port: this.s.targetPort, sourceGroupId: albSecurityGroupId, description: "Posit Workbench from its ALB" };
      await this.ensureIngress(albSecurityGroupId === NEW ? null : g, g.id, [rule], "target-security-group-rules");
    }
  }
}
