import { describe, expect, it } from "vitest";
import type { SecurityGroupInfo } from "../../agent/alb/aws/ec2.js";
import type { ListenerInfo, LoadBalancerInfo, TargetGroupInfo } from "../../agent/alb/aws/elbv2.js";
import { NEW_LOAD_BALANCER, NEW_SECURITY_GROUP, NEW_TARGET_GROUP, planAlbEnsure, renderEnsurePlan, type AlbSnapshot } from "../../agent/alb/ensure/plan.js";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import { BadInputError } from "../../agent/errors.js";

/* `alb ensure`'s planner is pure: snapshots in, steps out, no AWS. */

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
const VPC = "vpc-0123456789abcdef0";
const ZONE = "Z0123456789ABCDEFGHIJ";
const settings = (input = {}) =>
  resolveAlbSettings("pwb-demo", { vpcId: VPC, subnets: ["subnet-11111111", "subnet-22222222"], certificateArn: CERT, targetSecurityGroupIds: ["sg-0login0000000000a"], ...input });
const s = settings();

const empty: AlbSnapshot = {
  vpcCidr: "10.0.0.0/16", securityGroup: null, targetGroup: null, targetGroupAttributes: new Map(), loadBalancer: null, listeners: [],
  targetSecurityGroups: [{ id: "sg-0login0000000000a", name: "login", vpcId: VPC, tags: {}, ingress: [] }],
};

const albSg: SecurityGroupInfo = {
  id: "sg-0alb00000000000aa", name: s.securityGroupName, vpcId: VPC, tags: {},
  ingress: [443, 80].map((port) => ({ protocol: "tcp", fromPort: port, toPort: port, cidr: "10.0.0.0/16" })),
};
const tg: TargetGroupInfo = {
  arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/wb/1", name: s.targetGroupName, protocol: "HTTP", port: 8787, vpcId: VPC,
  targetType: "instance", loadBalancerArns: [], healthCheck: { protocol: "HTTP", port: "traffic-port", path: "/health-check", intervalSeconds: 5, matcher: "200" },
};
const lb: LoadBalancerInfo = {
  arn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/wb/1", name: s.albName, type: "application", scheme: "internal",
  dnsName: "internal-wb-1.eu-west-1.elb.amazonaws.com", canonicalHostedZoneId: "Z32O12XQLNTSW2", vpcId: VPC, subnets: s.subnets, securityGroups: [albSg.id],
};
const https: ListenerInfo = { arn: `${lb.arn}/l443`, port: 443, protocol: "HTTPS", certificates: [CERT], sslPolicy: s.sslPolicy, forwardTo: [tg.arn], redirect: null };
const redirect: ListenerInfo = { arn: `${lb.arn}/l80`, port: 80, protocol: "HTTP", certificates: [], sslPolicy: null, forwardTo: [], redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } };
const all: AlbSnapshot = {
  vpcCidr: "10.0.0.0/16", securityGroup: albSg, targetGroup: { item: tg, renamed: false },
  targetGroupAttributes: new Map([["stickiness.enabled", "true"], ["stickiness.type", "lb_cookie"], ["stickiness.lb_cookie.duration_seconds", "86400"], ["deregistration_delay.timeout_seconds", "60"]]),
  loadBalancer: { item: lb, renamed: false }, listeners: [https, redirect],
  targetSecurityGroups: [{ ...empty.targetSecurityGroups[0]!, ingress: [{ protocol: "tcp", fromPort: 8787, toPort: 8787, sourceGroupId: albSg.id }] }],
};

const summary = (steps: ReturnType<typeof planAlbEnsure>) => steps.map((st) => [st.resource, st.name, st.action, st.change?.kind ?? null]);

describe("planAlbEnsure", () => {
  it("nothing exists: creates everything in dependency order, later steps pointing at what earlier ones make", () => {
    const plan = planAlbEnsure(empty, s);
    expect(summary(plan)).toEqual([
      ["security-group", s.securityGroupName, "would-create", "create-security-group"],
      ["security-group-rules", s.securityGroupName, "would-update", "authorize-ingress"],
      ["target-group", s.targetGroupName, "would-create", "create-target-group"],
      ["target-group-attributes", s.targetGroupName, "would-update", "set-target-group-attributes"],
      ["load-balancer", s.albName, "would-create", "create-load-balancer"],
      ["listener", "HTTPS:443", "would-create", "create-https-listener"],
      ["listener", "HTTP:80", "would-create", "create-redirect-listener"],
      ["target-security-group-rules", "sg-0login0000000000a", "would-update", "authorize-ingress"],
    ]);
    expect(plan[1]!.change).toEqual({
      kind: "authorize-ingress", groupId: NEW_SECURITY_GROUP,
      rules: [{ port: 443, cidr: "10.0.0.0/16", description: "Posit Workbench HTTPS" }, { port: 80, cidr: "10.0.0.0/16", description: "Posit Workbench HTTP, redirected to HTTPS" }],
    });
    expect(plan[5]!.change).toEqual({ kind: "create-https-listener", loadBalancerArn: NEW_LOAD_BALANCER, targetGroupArn: NEW_TARGET_GROUP });
    expect(plan[7]!.change).toMatchObject({ groupId: "sg-0login0000000000a", rules: [{ port: 8787, sourceGroupId: NEW_SECURITY_GROUP }] });
    const text = renderEnsurePlan(plan);
    expect(text).toContain(`+ load-balancer ${s.albName}  (create)\n    internal application load balancer in subnet-11111111, subnet-22222222`);
    expect(text.trimEnd().split("\n").at(-1)).toBe("8 changes pending.");
  });

  it("everything exists as wanted: every step is 'exists', nothing to change, and the plan says so", () => {
    const plan = planAlbEnsure(all, s);
    expect(plan.map((st) => st.action)).toEqual(Array(8).fill("exists"));
    expect(plan.filter((st) => st.change)).toEqual([]);
    expect(renderEnsurePlan(plan)).toBe("No changes: the Workbench ALB is in its desired state.\n");
    expect(planAlbEnsure({ ...all, dnsRecord: { current: { dnsName: lb.dnsName, hostedZoneId: lb.canonicalHostedZoneId }, zoneMissing: false } }, settings({ hostedZoneId: ZONE, recordName: "workbench.example.com" })).at(-1))
      .toMatchObject({ resource: "dns-record", action: "exists" });
  });

  it("a listener on 80 that forwards instead of redirecting: one in-place change to the redirect; none without httpRedirect", () => {
    const forwarding = { ...redirect, redirect: null, forwardTo: [tg.arn] };
    const plan = planAlbEnsure({ ...all, listeners: [https, forwarding] }, s);
    expect(plan.filter((st) => st.change)).toEqual([{
      resource: "listener", name: "HTTP:80", action: "would-update", id: forwarding.arn,
      detail: `HTTP 80 forward to ${tg.arn} becomes HTTP 80 → 301 to HTTPS 443`, change: { kind: "modify-to-redirect", listenerArn: forwarding.arn },
    }]);
    expect(renderEnsurePlan(plan)).toBe(`~ listener HTTP:80  (update)\n    HTTP 80 forward to ${tg.arn} becomes HTTP 80 → 301 to HTTPS 443\n\n1 change pending.\n`);
    expect(planAlbEnsure({ ...all, listeners: [https, forwarding] }, settings({ httpRedirect: false })).filter((st) => st.change)).toEqual([]);
  });

  it("the alias missing, stale, or its zone missing: planned as an upsert to the ALB", () => {
    const dns = settings({ hostedZoneId: ZONE, recordName: "workbench.example.com" });
    const missing = planAlbEnsure({ ...all, dnsRecord: { current: null, zoneMissing: false } }, dns);
    expect(missing.at(-1)).toEqual({
      resource: "dns-record", name: "workbench.example.com", action: "would-create", detail: `A alias in ${ZONE} → ${lb.dnsName}`, change: { kind: "upsert-alias", loadBalancerArn: lb.arn },
    });
    expect(missing.filter((st) => st.change)).toHaveLength(1);
    const stale = planAlbEnsure({ ...all, dnsRecord: { current: { dnsName: null, hostedZoneId: null }, zoneMissing: false } }, dns).at(-1)!;
    expect([stale.action, stale.detail]).toEqual(["would-update", `a plain A record becomes A alias in ${ZONE} → ${lb.dnsName}`]);
    const noZone = planAlbEnsure({ ...empty, dnsRecord: { current: null, zoneMissing: true } }, dns).at(-1)!;
    expect([noZone.action, noZone.detail, noZone.change]).toEqual(["would-create", `A alias in ${ZONE} → the new ALB (the hosted zone was not found)`, { kind: "upsert-alias", loadBalancerArn: NEW_LOAD_BALANCER }]);
  });

  it("changed settings become in-place updates; a scheme, which AWS cannot change, is a pending change that apply refuses", () => {
    const plan = planAlbEnsure({ ...all, loadBalancer: { item: { ...lb, scheme: "internet-facing" }, renamed: false } }, settings({ certificateArn: CERT.replace("0f1e", "aaaa"), healthCheckIntervalSeconds: 30, stickinessDurationSeconds: 60 }));
    expect(plan.filter((st) => st.change).map((st) => [st.resource, st.change!.kind])).toEqual([
      ["target-group-health-check", "modify-health-check"], ["target-group-attributes", "set-target-group-attributes"],
      ["load-balancer-scheme", "cannot-change"], ["listener", "modify-https-listener"],
    ]);
    expect(plan.find((st) => st.resource === "target-group-attributes")!.change).toMatchObject({ attributes: new Map([["stickiness.lb_cookie.duration_seconds", "60"]]) });
    expect(plan.find((st) => st.resource === "load-balancer-scheme")!.change).toMatchObject({ reason: expect.stringMatching(/is internet-facing, configured internal, and AWS cannot change the scheme.*delete-load-balancer/) });
  });

  it("a target group of another port cannot be planned: bad input naming the setting", () => {
    const other = { ...all, targetGroup: { item: { ...tg, port: 8080 }, renamed: false } };
    expect(() => planAlbEnsure(other, s, (f) => (f === "targetGroupName" ? "--target-group-name" : f))).toThrow(BadInputError);
    expect(() => planAlbEnsure(other, s, (f) => (f === "targetGroupName" ? "--target-group-name" : f))).toThrow(/^--target-group-name: target group .* is HTTP 8080/);
  });
});
