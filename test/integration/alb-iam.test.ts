import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAlbEnsure } from "../../agent/alb/ensure/run.js";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import { PWB_MANAGED_BY, PWB_TAG_CLUSTER, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE } from "../../agent/alb/types.js";
import { createLogger } from "../../agent/log.js";
import { renderHeadPolicy } from "../../agent/pcluster/iam-policies.js";
import type { RenderInput } from "../../agent/pcluster/input.js";
import { TEST_CREDENTIALS, albHarness, type AlbHarness } from "../aws-endpoint/harness.js";
import type { CallRecord } from "../aws-endpoint/index.js";
import { ACCOUNT_ID, DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";
import { replaceLoginNode } from "../aws-endpoint/scenarios.js";

/*
 * The head node's IAM policy (its ALB statements, as `cluster-config render` writes them for a site
 * whose alb: section names the VPC, DNS record and login security group used here) against what the code
 * really calls: every path of `alb ensure` and `alb-sync` runs against the endpoint, and the
 * actions in its call log (plus the tag-on-create permissions they imply) must be exactly the
 * policy's actions. A new AWS call without a policy entry fails here; so does a grant nothing uses.
 */

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const LOGIN_SG = "sg-0abc00000000000aa";
const ZONE = "Z0123456789ABCDEFGHIJ";
const RECORD = "workbench.example.com";
const renderInput = {
  clusterName: "pwb-demo",
  region: "eu-west-1",
  partition: "aws",
  accountId: ACCOUNT_ID,
  access: { artifacts: { bucket: "b", prefix: "", keys: ["k"] }, mirror: null, parameterPath: "/pwb-agent/pwb-demo/", deniedParameters: [] },
  alb: { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, scheme: "internal", hostedZoneId: ZONE, recordName: RECORD, targetSecurityGroupIds: [LOGIN_SG] },
} as unknown as RenderInput;
const rendered = JSON.parse(renderHeadPolicy(renderInput)) as { Version: string; Statement: Statement[] };
// The agent's own SSM reads are not ALB calls: the policy's ALB share is the rest.
const policy = { Version: rendered.Version, Statement: rendered.Statement.filter((s) => ![s.Action].flat().every((a) => a.startsWith("ssm:"))) };
const arr = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

const PREFIX: Record<string, string> = { elbv2: "elasticloadbalancing", ec2: "ec2", route53: "route53" };
/** IAM actions one API call needs: its own, plus the tagging permission AWS checks when tags ride on a create. */
function permissionsFor(c: CallRecord): string[] {
  const prefix = PREFIX[c.service];
  if (!prefix) return [];
  const out = [`${prefix}:${c.action}`];
  const keys = Object.keys(c.params);
  if (c.service === "elbv2" && c.action.startsWith("Create") && keys.some((k) => k.startsWith("Tags.member."))) out.push("elasticloadbalancing:AddTags");
  if (c.service === "ec2" && keys.some((k) => k.startsWith("TagSpecification."))) out.push("ec2:CreateTags");
  return out;
}

let h: AlbHarness;
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";

beforeAll(async () => {
  // A ParallelCluster 3.7 account (no deterministic names) so the tag scan runs too.
  h = await albHarness({ cluster: { otherLoadBalancers: 25, legacyNames: true, workbench: false } });
  const ep = h.ep;
  const aws = { endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const log = createLogger({ level: "silent" });
  const loginSg = { id: LOGIN_SG, name: "login", description: "login", vpcId: DEFAULT_VPC, ingress: [], egress: [] };
  ep.model.securityGroups.set(loginSg.id, loginSg);
  ep.model.route53.addZone(ZONE, "example.com");
  const base = { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, certificateArn: CERT, targetSecurityGroupIds: [loginSg.id], hostedZoneId: ZONE, recordName: RECORD };
  const ensure = (input = {}) => runAlbEnsure({ cluster: "pwb-demo", region: "eu-west-1", settings: resolveAlbSettings("pwb-demo", { ...base, ...input }), aws, log });
  await ensure(); // creates everything
  await ensure({ certificateArn: CERT.replace("0f1e", "aaaa"), healthCheckIntervalSeconds: 30, stickinessDurationSeconds: 60 }); // modifies in place
  await ensure({ albName: "pwb-renamed", targetGroupName: "pwb-renamed" }); // finds by tags
  const alb = [...ep.model.loadBalancers.values()].find((l) => l.name === resolveAlbSettings("pwb-demo").albName)!;
  alb.securityGroups = [loginSg.id]; // drift by hand: its own group detached …
  alb.subnets = [DEFAULT_SUBNETS[1]!, "subnet-0abc0000000000003"]; // … and moved to a subnet the site does not name
  await ensure(); // drift fixed in place, back to the site's subnets: SetSubnets, SetSecurityGroups
  const wb = [...ep.model.targetGroups.values()].find((t) => t.port === 8787)!;
  h.cluster.workbench = wb;
  await h.tick({ pools: undefined }); // discovery by tags, registration
  const pool = h.cluster.pools[0]!;
  replaceLoginNode(ep.model, "pwb-demo", pool, pool.instances[0]!);
  await h.tick({ pools: ["login"] }); // deregistration of the draining node
  await h.tick({ pools: ["login"], statePath: "/var/lib/pwb-agent/fresh.json" }); // lookup by name (fails: legacy) then tag scan
  ep.model.removeTarget(pool.targetGroup.arn, pool.instances[0]!);
  await h.tick({ pools: ["login"] }); // removal by absence, confirmed with EC2 first
});
afterAll(async () => h?.close());

describe("IAM policy for the head node", () => {
  it("is a well-formed IAM policy document", () => {
    expect(policy.Version).toBe("2012-10-17");
    const sids = policy.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const s of policy.Statement) {
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
      expect(s.Effect).toBe("Allow");
      for (const a of arr(s.Action)) expect(a).toMatch(/^(elasticloadbalancing|ec2|route53):[A-Z][A-Za-z]+$/);
      for (const r of arr(s.Resource)) expect(r === "*" || r.startsWith("arn:aws:")).toBe(true);
      expect(Object.keys(s).sort()).toEqual(["Action", "Effect", "Resource", "Sid", ...(s.Condition ? ["Condition"] : [])].sort());
    }
  });

  it("grants every action the code calls, and nothing it does not (least privilege, derived from the call log)", () => {
    // Only "not found" answers of lookups by name may fail; anything else would mean a permission test gap.
    const failed = h.ep.calls.filter((c) => c.status !== 200 && !/NotFound$/.test(c.errorCode ?? ""));
    expect(failed).toEqual([]);
    const needed = [...new Set(h.ep.calls.flatMap(permissionsFor))].sort();
    const granted = [...new Set(policy.Statement.flatMap((s) => arr(s.Action)))].sort();
    expect(granted).toEqual(needed);
    expect(granted).toContain("elasticloadbalancing:DeregisterTargets");
  });

  it("every write is scoped: by resource ARN pattern and, where AWS supports it, by the pwb-agent tags", () => {
    for (const s of policy.Statement) {
      const writes = arr(s.Action).filter((a) => !/:Describe/.test(a));
      if (!writes.length) continue;
      const scopedByArn = arr(s.Resource).every((r) => r !== "*");
      expect([s.Sid, scopedByArn || s.Condition !== undefined]).toEqual([s.Sid, true]);
    }
    const sync = policy.Statement.find((s) => arr(s.Action).includes("elasticloadbalancing:RegisterTargets"))!;
    expect(arr(sync.Action).sort()).toEqual(["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"]);
    expect(sync.Condition?.StringEquals).toEqual({
      [`aws:ResourceTag/${PWB_TAG_MANAGED_BY}`]: PWB_MANAGED_BY,
      [`aws:ResourceTag/${PWB_TAG_CLUSTER}`]: "pwb-demo",
      [`aws:ResourceTag/${PWB_TAG_ROLE}`]: "workbench-target-group",
    });
    const tagging = policy.Statement.find((s) => arr(s.Action).includes("elasticloadbalancing:AddTags"))!;
    expect(tagging.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"]).toEqual(["CreateTargetGroup", "CreateLoadBalancer", "CreateListener"]);
  });

  it("the tags its conditions test are the tags the code puts on what it creates", () => {
    const conditioned = policy.Statement.flatMap((s) => Object.values(s.Condition ?? {}).flatMap((c) => Object.entries(c)));
    const pwbKeys = conditioned.filter(([k]) => /Tag\/pwb:/.test(k));
    expect(pwbKeys.length).toBeGreaterThan(0);
    const m = h.ep.model;
    const created = [
      ...[...m.targetGroups.values()].filter((t) => t.port === 8787).map((t) => t.arn),
      ...[...m.loadBalancers.values()].filter((l) => l.type === "application" && !l.name.startsWith("other")).map((l) => l.arn),
      ...[...m.listeners.keys()],
      ...[...m.securityGroups.values()].filter((g) => g.name.startsWith("pwb-alb-")).map((g) => g.id),
    ];
    expect(created).toHaveLength(5); // security group, target group, ALB, HTTPS and HTTP listeners
    for (const id of created) {
      const tags = m.tagsOf(id);
      for (const [k, v] of pwbKeys) {
        const key = k.split("/")[1]!;
        if (key === PWB_TAG_ROLE) continue; // only the target group statement names a role
        expect([id, tags[key]]).toEqual([id, v]);
      }
    }
  });
});

/*
 * The scoped policy really allows what the code does: each write in the call log, with the resource
 * it names, the tags that resource carries in the endpoint and the tags the request puts on, must be
 * allowed by some statement (action, resource pattern and every condition). A narrowing that would
 * deny a real call fails here.
 */
interface RequestContext {
  action: string;
  resource: string;
  keys: Record<string, string[]>;
}
const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`);
function allows(s: Statement, c: RequestContext): boolean {
  if (s.Effect !== "Allow" || !arr(s.Action).includes(c.action) || !arr(s.Resource).some((r) => glob(r).test(c.resource))) return false;
  return Object.entries(s.Condition ?? {}).every(([op, block]) =>
    Object.entries(block).every(([key, want]) => {
      const have = c.keys[key];
      const wanted = arr(want);
      if (op === "StringEquals") return have !== undefined && have.length > 0 && have.every((v) => wanted.includes(v));
      if (op === "ForAllValues:StringEquals") return (have ?? []).every((v) => wanted.includes(v));
      // An empty list is no value: IAM treats the key as absent.
      if (op === "Null") return (have === undefined || have.length === 0) === (wanted[0] === "true");
      throw new Error(`operator ${op} is not evaluated by this test`);
    }),
  );
}
const listed = (params: Record<string, unknown>, prefix: RegExp) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = prefix.exec(k);
    if (m?.[2] === "Key") out[String(v)] = String(params[k.replace(/Key$/, "Value")] ?? "");
  }
  return out;
};
const tagKeys = (kind: "ResourceTag" | "RequestTag", tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:${kind}/${k}`, [v]]));

/** What IAM sees of one logged call: one context per resource it authorises against. */
function contextsOf(c: CallRecord): RequestContext[] {
  const m = h.ep.model;
  const p = c.params;
  const arnOf = (service: string, resource: string) => `arn:aws:${service}:eu-west-1:${ACCOUNT_ID}:${resource}`;
  const region = { "aws:RequestedRegion": ["eu-west-1"] };
  if (c.service === "elbv2") {
    const action = `elasticloadbalancing:${c.action}`;
    if (c.action.startsWith("Describe")) return [{ action, resource: "*", keys: region }];
    const requestTags = tagKeys("RequestTag", listed(p, /^Tags\.member\.(\d+)\.(Key|Value)$/));
    const created = (resource: string): RequestContext[] => [
      { action, resource, keys: requestTags },
      { action: "elasticloadbalancing:AddTags", resource, keys: { ...requestTags, "elasticloadbalancing:CreateAction": [c.action] } },
    ];
    if (c.action === "CreateTargetGroup") return created(arnOf("elasticloadbalancing", `targetgroup/${String(p.Name)}/0123456789abcdef`));
    if (c.action === "CreateLoadBalancer") {
      const [create, tag] = created(arnOf("elasticloadbalancing", `loadbalancer/app/${String(p.Name)}/0123456789abcdef`));
      const subnets = Object.entries(p).filter(([k]) => /^Subnets\.member\.\d+$/.test(k)).map(([, v]) => String(v));
      return [{ ...create!, keys: { ...create!.keys, "elasticloadbalancing:Scheme": [String(p.Scheme ?? "internet-facing")], "elasticloadbalancing:Subnet": subnets } }, tag!];
    }
    if (c.action === "CreateListener") {
      const lb = String(p.LoadBalancerArn);
      return [
        { action, resource: lb, keys: { ...tagKeys("ResourceTag", m.tagsOf(lb)), ...requestTags } },
        { ...created(`${lb.replace(":loadbalancer/", ":listener/")}/0123456789abcdef`)[1]! },
      ];
    }
    if (c.action === "SetSubnets" || c.action === "SetSecurityGroups") {
      const lb = String(p.LoadBalancerArn);
      const subnets = Object.entries(p).filter(([k]) => /^Subnets\.member\.\d+$/.test(k)).map(([, v]) => String(v));
      return [{ action, resource: lb, keys: { ...tagKeys("ResourceTag", m.tagsOf(lb)), ...(subnets.length ? { "elasticloadbalancing:Subnet": subnets } : {}) } }];
    }
    const target = String(p.TargetGroupArn ?? p.ListenerArn);
    return [{ action, resource: target, keys: tagKeys("ResourceTag", m.tagsOf(target)) }];
  }
  if (c.service === "ec2") {
    const action = `ec2:${c.action}`;
    if (c.action.startsWith("Describe")) return [{ action, resource: "*", keys: region }];
    if (c.action === "CreateSecurityGroup") {
      const requestTags = tagKeys("RequestTag", listed(p, /^TagSpecification\.1\.Tag\.(\d+)\.(Key|Value)$/));
      const group = arnOf("ec2", "security-group/sg-0123456789abcdef0");
      return [
        { action, resource: group, keys: requestTags },
        { action, resource: arnOf("ec2", `vpc/${String(p.VpcId)}`), keys: {} },
        { action: "ec2:CreateTags", resource: group, keys: { ...requestTags, "ec2:CreateAction": ["CreateSecurityGroup"] } },
      ];
    }
    const id = String(p.GroupId);
    const vpc = m.securityGroups.get(id)!.vpcId;
    return [{ action, resource: arnOf("ec2", `security-group/${id}`), keys: { ...tagKeys("ResourceTag", m.tagsOf(id)), "ec2:Vpc": [arnOf("ec2", `vpc/${vpc}`)] } }];
  }
  if (c.service === "route53") {
    const resource = `arn:aws:route53:::hostedzone/${String(p.HostedZoneId)}`;
    if (c.action !== "ChangeResourceRecordSets") return [{ action: `route53:${c.action}`, resource, keys: {} }];
    const changes = (p.Changes as string[]).map((x) => x.split(" ") as [string, string, string]);
    return [{
      action: "route53:ChangeResourceRecordSets",
      resource,
      keys: {
        "route53:ChangeResourceRecordSetsActions": changes.map(([a]) => a),
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": changes.map(([, n]) => n.toLowerCase().replace(/\.$/, "")),
        "route53:ChangeResourceRecordSetsRecordTypes": changes.map(([, , t]) => t),
      },
    }];
  }
  return [];
}

describe("the scoped policy allows every call the code makes", () => {
  it("each write, on the resource it names, is allowed by a statement (resource pattern and every condition)", () => {
    const contexts = h.ep.calls.filter((c) => c.status === 200).flatMap(contextsOf);
    expect(contexts.length).toBeGreaterThan(20);
    const denied = contexts.filter((c) => !policy.Statement.some((s) => allows(s, c)));
    expect(denied).toEqual([]);
    // The evaluator can say no: the same writes for another cluster's target group, another zone's record.
    const foreign = contexts.find((c) => c.action === "elasticloadbalancing:RegisterTargets")!;
    expect(policy.Statement.some((s) => allows(s, { ...foreign, keys: { ...foreign.keys, [`aws:ResourceTag/${PWB_TAG_CLUSTER}`]: ["other"] } }))).toBe(false);
    const dns = contexts.find((c) => c.action === "route53:ChangeResourceRecordSets")!;
    expect(policy.Statement.some((s) => allows(s, { ...dns, keys: { ...dns.keys, "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["www.example.com"] } }))).toBe(false);
    expect(policy.Statement.some((s) => allows(s, { ...dns, resource: "arn:aws:route53:::hostedzone/ZOTHER" }))).toBe(false);
  });
});
