// `alb ensure`: read the account once (the ALB's security group and its rules, the Workbench target
// group and its attributes, the internal ALB and its listeners, the login nodes' security groups, the
// DNS record), plan the changes from that one snapshot (plan.ts, pure), then apply them in order.
// A dry run prints the plan. A change AWS cannot make in place stops the apply before anything
// changes. Creates are idempotent or adopt what an earlier, interrupted try made,
// so a re-run completes the set without duplicating anything.
import { BadInputError, RuntimeFailure } from "../../errors.js";
import type { Logger } from "../../log.js";
import { Ec2, type SecurityGroupInfo } from "../aws/ec2.js";
import { Route53 } from "../aws/route53.js";
import { Elbv2, type LoadBalancerInfo } from "../aws/elbv2.js";
import { describeError, hasCode } from "../aws/errors.js";
import { ApiCallStats, type AwsClientOptions } from "../aws/sdk.js";
import {
  NEW_LOAD_BALANCER, NEW_SECURITY_GROUP, NEW_TARGET_GROUP, HTTP_PORT, planAlbEnsure,
  type AlbChange, type AlbSnapshot, type EnsureStep, type PlannedStep,
} from "./plan.js";
import { findOwnedLoadBalancer, findOwnedTargetGroup, isOwned, ownedTags } from "../owned.js";
import { PWB_TAG_CLUSTER, PWB_TAG_ROLE, type AlbSettings } from "../types.js";

export type { EnsureStep, StepAction } from "./plan.js";

export interface AlbEnsureOptions {
  cluster: string;
  region: string;
  settings: AlbSettings;
  /** Read and plan; apply nothing. */
  dryRun?: boolean;
  aws?: Omit<AwsClientOptions, "region">;
  log: Logger;
  /** How each setting is called where the operator sets it (default: the field name). */
  settingName?: (field: keyof AlbSettings) => string;
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

/** What the error message says the run was doing when it failed. */
function stageOf(step: EnsureStep): string {
  switch (step.resource) {
    case "security-group": return "security group";
    case "security-group-rules": return "security group rules";
    case "target-group": case "target-group-health-check": return "target group";
    case "target-group-attributes": return "target group attributes";
    case "load-balancer": case "load-balancer-scheme": case "load-balancer-subnets": case "load-balancer-security-groups": return "load balancer";
    case "listener": return step.name === `HTTP:${HTTP_PORT}` ? "HTTP redirect listener" : "listener";
    case "target-security-group-rules": return "login nodes' security groups";
    case "dns-record": return "DNS record";
  }
}

export async function runAlbEnsure(o: AlbEnsureOptions): Promise<AlbEnsureReport> {
  const stats = new ApiCallStats();
  const aws = { region: o.region, ...o.aws };
  const [ec2, elb] = await Promise.all([Ec2.open(aws, stats), Elbv2.open(aws, stats)]);
  const name = o.settingName ?? ((f: keyof AlbSettings) => f);
  const report: AlbEnsureReport = {
    dryRun: o.dryRun ?? false, steps: [], securityGroupId: null, targetGroupArn: null, loadBalancerArn: null, listenerArn: null, dnsName: null, apiCalls: 0,
  };
  const stage = { current: "starting" };
  let route53: Route53 | null = null;
  try {
    // Route 53's client is only loaded for a site that names a record.
    if (o.settings.hostedZoneId && o.settings.recordName) route53 = await Route53.open(aws, stats);
    const snap = await readAlbSnapshot(o, ec2, elb, route53, name, stage);
    const plan = planAlbEnsure(snap, o.settings, name);
    const refused = plan.flatMap((st) => (st.change?.kind === "cannot-change" ? [st.change.reason] : []));
    if (refused.length && !report.dryRun) throw new CannotChange(`alb ensure: ${refused.join("; ")}. Nothing was changed.`);
    const ids = new Ids(snap, o.settings.listenerPort);
    const apply = new Applier(o, ec2, elb, route53, name, ids);
    for (const step of plan) {
      stage.current = stageOf(step);
      const done = step.change && !report.dryRun ? await apply.change(step, step.change) : withoutPlanning(step);
      report.steps.push(done);
      o.log[done.action === "exists" ? "debug" : "info"]({ resource: done.resource, name: done.name, action: done.action, id: done.id, detail: done.detail }, `${done.action} ${done.resource} ${done.name}`);
    }
    Object.assign(report, {
      securityGroupId: ids.securityGroupId, targetGroupArn: ids.targetGroupArn, loadBalancerArn: ids.loadBalancer?.arn ?? null,
      listenerArn: ids.listenerArn, dnsName: ids.loadBalancer?.dnsName ?? null,
    });
    return report;
  } catch (err) {
    if (err instanceof BadInputError || err instanceof CannotChange) throw err;
    const done = report.steps.filter((s) => s.action === "created" || s.action === "updated").map((s) => `${s.action} ${s.resource} ${s.name}`);
    throw new RuntimeFailure(`alb ensure failed at the ${stage.current}: ${describeError(err)}. Run it again to finish: it picks up what exists.`, { alreadyApplied: done });
  } finally {
    report.apiCalls = stats.attempts;
    ec2.close();
    elb.close();
    route53?.close();
  }
}

const withoutPlanning = ({ change: _change, ...step }: PlannedStep): EnsureStep => step;

/** What the settings ask and AWS cannot do to what exists (exit 1, as any failure; nothing was changed). */
class CannotChange extends RuntimeFailure {}

/** Everything the plan needs, read before anything changes. */
async function readAlbSnapshot(
  o: AlbEnsureOptions, ec2: Ec2, elb: Elbv2, route53: Route53 | null, name: (f: keyof AlbSettings) => string, stage: { current: string },
): Promise<AlbSnapshot> {
  const s = o.settings;
  const vpcId = s.vpcId!;
  stage.current = "security group";
  const [securityGroup = null] = await ec2.findSecurityGroups(vpcId, { tags: { [PWB_TAG_CLUSTER]: o.cluster, [PWB_TAG_ROLE]: "workbench-alb-security-group" } });
  stage.current = "security group rules";
  let vpcCidr: string | null = null;
  if (!s.ingressCidrs.length) {
    vpcCidr = await ec2.vpcCidr(vpcId);
    if (!vpcCidr) throw new BadInputError(`${name("vpcId")}: VPC ${vpcId} does not exist in ${o.region}`, { field: name("vpcId") });
  }
  stage.current = "target group";
  const targetGroup = await findOwnedTargetGroup(elb, o.cluster, s.targetGroupName, vpcId, name("targetGroupName"));
  if (targetGroup?.renamed) o.log.warn({ found: targetGroup.item.name, configured: s.targetGroupName }, "found the Workbench target group by its tags under another name; keeping it");
  stage.current = "target group attributes";
  const targetGroupAttributes = targetGroup ? await elb.targetGroupAttributes(targetGroup.item.arn) : new Map<string, string>();
  stage.current = "load balancer";
  const loadBalancer = await findOwnedLoadBalancer(elb, o.cluster, s.albName, vpcId, name("albName"));
  if (loadBalancer?.renamed) o.log.warn({ found: loadBalancer.item.name, configured: s.albName }, "found the Workbench ALB by its tags under another name; keeping it");
  stage.current = "listener";
  const listeners = loadBalancer ? await elb.listeners(loadBalancer.item.arn) : [];
  stage.current = "login nodes' security groups";
  let targetSecurityGroups: SecurityGroupInfo[] = [];
  if (s.targetSecurityGroupIds.length) {
    try {
      targetSecurityGroups = await ec2.securityGroupsById(s.targetSecurityGroupIds);
    } catch (e) {
      if (hasCode(e, "InvalidGroup.NotFound")) throw new BadInputError(`${name("targetSecurityGroupIds")}: ${describeError(e)}`, { field: name("targetSecurityGroupIds") });
      throw e;
    }
  }
  const snap: AlbSnapshot = { vpcCidr, securityGroup, targetGroup, targetGroupAttributes, loadBalancer, listeners, targetSecurityGroups };
  if (route53 && s.hostedZoneId && s.recordName) {
    stage.current = "DNS record";
    try {
      snap.dnsRecord = { current: await route53.aRecord(s.hostedZoneId, s.recordName), zoneMissing: false };
    } catch (e) {
      // Planned as a create; applying it fails saying so, after the ALB itself is in place.
      if (!hasCode(e, "NoSuchHostedZone")) throw e;
      snap.dnsRecord = { current: null, zoneMissing: true };
    }
  }
  return snap;
}

/** The ids known so far: read in the snapshot, or made by a step of this run. */
class Ids {
  securityGroupId: string | null;
  targetGroupArn: string | null;
  loadBalancer: LoadBalancerInfo | null;
  listenerArn: string | null;

  constructor(snap: AlbSnapshot, listenerPort: number) {
    this.securityGroupId = snap.securityGroup?.id ?? null;
    this.targetGroupArn = snap.targetGroup?.item.arn ?? null;
    this.loadBalancer = snap.loadBalancer?.item ?? null;
    this.listenerArn = snap.listeners.find((l) => l.port === listenerPort)?.arn ?? null;
  }

  /** A planned id with its placeholder (if any) replaced by what the run has made. */
  resolve(id: string): string {
    const made = id === NEW_SECURITY_GROUP ? this.securityGroupId : id === NEW_TARGET_GROUP ? this.targetGroupArn : id === NEW_LOAD_BALANCER ? this.loadBalancer?.arn : id;
    if (!made) throw new Error(`internal: ${id} was to be made by an earlier step`);
    return made;
  }

  /** A planned step's text with the placeholders replaced. */
  text(s: string | undefined): string | undefined {
    if (s === undefined) return s;
    let out = s;
    for (const p of [NEW_SECURITY_GROUP, NEW_TARGET_GROUP, NEW_LOAD_BALANCER]) if (out.includes(p)) out = out.replaceAll(p, this.resolve(p));
    return out;
  }
}

/** Makes one planned change and says what was done. */
class Applier {
  constructor(
    private readonly o: AlbEnsureOptions,
    private readonly ec2: Ec2,
    private readonly elb: Elbv2,
    private readonly route53: Route53 | null,
    private readonly name: (f: keyof AlbSettings) => string,
    private readonly ids: Ids,
  ) {}

  async change(step: PlannedStep, c: AlbChange): Promise<EnsureStep> {
    const id = await this.apply(c);
    const detail = this.ids.text(step.detail);
    return { resource: step.resource, name: step.name, action: step.action === "would-create" ? "created" : "updated", id, ...(detail !== undefined ? { detail } : {}) };
  }

  /** Makes the change; answers the id of what it made or changed. */
  private async apply(c: AlbChange): Promise<string> {
    const { cluster, settings: s } = this.o;
    const ids = this.ids;
    switch (c.kind) {
      case "create-security-group":
        ids.securityGroupId = await this.createSecurityGroup();
        return ids.securityGroupId;
      case "authorize-ingress": {
        const groupId = ids.resolve(c.groupId);
        const rules = c.rules.map((r) => (r.sourceGroupId ? { ...r, sourceGroupId: ids.resolve(r.sourceGroupId) } : r));
        try {
          await this.ec2.authorizeIngress(groupId, rules);
        } catch (e) {
          if (!hasCode(e, "InvalidPermission.Duplicate")) throw e; // added meanwhile: the state is what we want
        }
        return groupId;
      }
      case "create-target-group": {
        const tg = await this.elb.createTargetGroup({ name: s.targetGroupName, port: s.targetPort, vpcId: s.vpcId!, healthCheck: c.healthCheck, tags: ownedTags(cluster, "workbench-target-group") });
        ids.targetGroupArn = tg.arn;
        return tg.arn;
      }
      case "modify-health-check":
        await this.elb.modifyHealthCheck(c.targetGroupArn, c.healthCheck);
        return c.targetGroupArn;
      case "set-target-group-attributes": {
        const arn = ids.resolve(c.targetGroupArn);
        await this.elb.setTargetGroupAttributes(arn, c.attributes);
        return arn;
      }
      case "create-load-balancer": {
        const lb = await this.elb.createLoadBalancer({ name: s.albName, subnets: s.subnets, securityGroups: [ids.resolve(c.securityGroupId)], scheme: s.scheme, tags: ownedTags(cluster, "workbench-alb") });
        ids.loadBalancer = lb;
        return lb.arn;
      }
      case "set-subnets":
        await this.elb.setSubnets(c.loadBalancerArn, c.subnets);
        return c.loadBalancerArn;
      case "set-security-groups":
        await this.elb.setSecurityGroups(c.loadBalancerArn, c.securityGroups.map((g) => ids.resolve(g)));
        return c.loadBalancerArn;
      case "cannot-change":
        throw new CannotChange(c.reason); // refused before any change; here only if a caller skipped that
      case "create-https-listener": {
        const l = await this.elb.createHttpsListener({
          loadBalancerArn: ids.resolve(c.loadBalancerArn), port: s.listenerPort, certificateArn: s.certificateArn!, sslPolicy: s.sslPolicy,
          targetGroupArn: ids.resolve(c.targetGroupArn), tags: ownedTags(cluster, "workbench-listener"),
        });
        ids.listenerArn = l.arn;
        return l.arn;
      }
      case "modify-https-listener":
        await this.elb.modifyHttpsListener({ listenerArn: c.listenerArn, port: s.listenerPort, certificateArn: s.certificateArn!, sslPolicy: s.sslPolicy, targetGroupArn: ids.resolve(c.targetGroupArn) });
        ids.listenerArn = c.listenerArn;
        return c.listenerArn;
      case "create-redirect-listener":
        return (await this.elb.createRedirectListener({ loadBalancerArn: ids.resolve(c.loadBalancerArn), port: HTTP_PORT, httpsPort: s.listenerPort, tags: ownedTags(cluster, "workbench-listener") })).arn;
      case "modify-to-redirect":
        await this.elb.modifyToRedirect(c.listenerArn, s.listenerPort);
        return c.listenerArn;
      case "upsert-alias": {
        const lb = ids.loadBalancer!;
        await this.route53!.upsertAlias(s.hostedZoneId!, s.recordName!, { dnsName: lb.dnsName, hostedZoneId: lb.canonicalHostedZoneId });
        return s.hostedZoneId!;
      }
    }
  }

  private async createSecurityGroup(): Promise<string> {
    const { cluster, settings: s } = this.o;
    const name = s.securityGroupName;
    const vpcId = s.vpcId!;
    try {
      return await this.ec2.createSecurityGroup({ name, description: `Posit Workbench ALB of cluster ${cluster} (pwb-agent)`, vpcId, tags: { ...ownedTags(cluster, "workbench-alb-security-group"), Name: name } });
    } catch (e) {
      if (!hasCode(e, "InvalidGroup.Duplicate")) throw e;
      // Created by an earlier try whose answer was lost (EC2 has no idempotency token here), or someone else's.
      const [same] = await this.ec2.findSecurityGroups(vpcId, { name });
      if (!same || !isOwned(same.tags, cluster, "workbench-alb-security-group")) {
        throw new BadInputError(`${this.name("securityGroupName")}: security group ${name} already exists in ${vpcId} and was not created by pwb-agent for ${cluster}; choose another name`, {
          field: this.name("securityGroupName"),
        });
      }
      return same.id;
    }
  }
}
