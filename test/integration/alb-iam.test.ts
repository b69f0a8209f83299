import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAlbEnsure } from "../../agent/alb/ensure/run.js";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import { PWB_MANAGED_BY, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE } from "../../agent/alb/types.js";
import { createLogger } from "../../agent/log.js";
import { TEST_CREDENTIALS, albHarness, type AlbHarness } from "../aws-endpoint/harness.js";
import type { CallRecord } from "../aws-endpoint/index.js";
import { DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";
import { replaceLoginNode } from "../aws-endpoint/scenarios.js";

/*
 * The head node's IAM policy (cluster-config/iam/pwb-head-node-alb.json) against what the code
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
const POLICY_FILE = "cluster-config/iam/pwb-head-node-alb.json";
const policy = JSON.parse(readFileSync(POLICY_FILE, "utf8")) as { Version: string; Statement: Statement[] };
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
  const loginSg = { id: "sg-0abc00000000000aa", name: "login", description: "login", vpcId: DEFAULT_VPC, ingress: [], egress: [] };
  ep.model.securityGroups.set(loginSg.id, loginSg);
  ep.model.route53.addZone("Z0123456789ABCDEFGHIJ", "example.com");
  const base = { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, certificateArn: CERT, targetSecurityGroupIds: [loginSg.id], hostedZoneId: "Z0123456789ABCDEFGHIJ", recordName: "workbench.example.com" };
  const ensure = (input = {}) => runAlbEnsure({ cluster: "pwb-demo", region: "eu-west-1", settings: resolveAlbSettings("pwb-demo", { ...base, ...input }), aws, log });
  await ensure(); // creates everything
  await ensure({ certificateArn: CERT.replace("0f1e", "aaaa"), healthCheckIntervalSeconds: 30, stickinessDurationSeconds: 60 }); // modifies in place
  await ensure({ albName: "pwb-renamed", targetGroupName: "pwb-renamed" }); // finds by tags
  const alb = [...ep.model.loadBalancers.values()].find((l) => l.name === resolveAlbSettings("pwb-demo").albName)!;
  alb.securityGroups = [loginSg.id]; // drift by hand: its own group detached
  await ensure({ subnets: [DEFAULT_SUBNETS[1]!, "subnet-0abc0000000000003"] }); // drift fixed in place: SetSubnets, SetSecurityGroups
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
    expect(sync.Condition?.StringEquals).toEqual({ [`aws:ResourceTag/${PWB_TAG_MANAGED_BY}`]: PWB_MANAGED_BY, [`aws:ResourceTag/${PWB_TAG_ROLE}`]: "workbench-target-group" });
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
