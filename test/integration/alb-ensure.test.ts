import { afterEach, describe, expect, it } from "vitest";
import { runAlbEnsure, type AlbEnsureOptions } from "../../agent/alb/ensure/run.js";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import type { AlbSettingsInput } from "../../agent/alb/types.js";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { createLogger } from "../../agent/log.js";
import { TEST_CREDENTIALS } from "../aws-endpoint/harness.js";
import { startAwsEndpoint, type AwsEndpoint } from "../aws-endpoint/index.js";
import { DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";

/*
 * `alb ensure` against the loopback endpoint with the real SDK: find-or-create by tags, idempotent,
 * completes an interrupted run, never duplicates.
 */

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
const CLUSTER = "pwb-demo";
const FLAGS = { targetGroupName: "--target-group-name", securityGroupName: "--security-group-name" } as Record<string, string>;

const open: AwsEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});
async function endpoint(): Promise<AwsEndpoint> {
  const ep = await startAwsEndpoint();
  open.push(ep);
  return ep;
}

function ensure(ep: AwsEndpoint, input: AlbSettingsInput = {}, extra: Partial<AlbEnsureOptions> = {}) {
  const settings = resolveAlbSettings(CLUSTER, { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, certificateArn: CERT, ...input });
  return runAlbEnsure({
    cluster: CLUSTER,
    region: "eu-west-1",
    settings,
    log: createLogger({ level: "silent" }),
    aws: { endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 },
    settingName: (f) => FLAGS[f] ?? f,
    ...extra,
  });
}

/** What exists in the account, by kind. */
function inventory(ep: AwsEndpoint) {
  const m = ep.model;
  return {
    securityGroups: [...m.securityGroups.values()].map((g) => g.name),
    targetGroups: [...m.targetGroups.values()].map((t) => t.name),
    loadBalancers: [...m.loadBalancers.values()].map((l) => l.name),
    listeners: [...m.listeners.values()].map((l) => `${l.protocol}:${l.port}`),
  };
}

const MUTATING = /^(Create|Modify|Authorize|Add|Register|Deregister|Delete)/;
const mutations = (ep: AwsEndpoint, from = 0) => ep.calls.slice(from).filter((c) => MUTATING.test(c.action)).map((c) => c.action);

describe("alb ensure", () => {
  it("creates the security group, target group, internal ALB, HTTPS listener and HTTP redirect, all tagged with the cluster", async () => {
    const ep = await endpoint();
    const r = await ensure(ep);
    expect(r.steps.map((s) => [s.resource, s.action, s.name])).toEqual([
      ["security-group", "created", "pwb-alb-pwb-demo"],
      ["security-group-rules", "updated", "pwb-alb-pwb-demo"],
      ["target-group", "created", resolveAlbSettings(CLUSTER).targetGroupName],
      ["target-group-attributes", "updated", resolveAlbSettings(CLUSTER).targetGroupName],
      ["load-balancer", "created", resolveAlbSettings(CLUSTER).albName],
      ["listener", "created", "HTTPS:443"],
      ["listener", "created", "HTTP:80"],
    ]);
    const m = ep.model;
    const sg = m.securityGroups.get(r.securityGroupId!)!;
    expect(sg).toMatchObject({ name: "pwb-alb-pwb-demo", vpcId: DEFAULT_VPC });
    expect(sg.ingress).toEqual([
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrs: [{ cidr: "10.0.0.0/16", description: "Posit Workbench HTTPS" }], groups: [] },
      { protocol: "tcp", fromPort: 80, toPort: 80, cidrs: [{ cidr: "10.0.0.0/16", description: "Posit Workbench HTTP, redirected to HTTPS" }], groups: [] },
    ]);
    // Port 80 answers every request with a permanent redirect to the same host and path on HTTPS 443.
    const http = [...m.listeners.values()].find((l) => l.port === 80)!;
    expect([http.protocol, http.defaultActions]).toEqual(["HTTP", [{ Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", Host: "#{host}", Path: "/#{path}", Query: "#{query}", StatusCode: "HTTP_301" } }]]);
    const tg = m.targetGroups.get(r.targetGroupArn!)!;
    expect(tg).toMatchObject({ protocol: "HTTP", port: 8787, vpcId: DEFAULT_VPC, targetType: "instance" });
    expect(tg.healthCheck).toMatchObject({ protocol: "HTTP", path: "/health-check", matcher: "200", intervalSeconds: 5, timeoutSeconds: 4, healthyThreshold: 2 });
    expect(Object.fromEntries(tg.attributes)).toMatchObject({
      "stickiness.enabled": "true", "stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "86400", "deregistration_delay.timeout_seconds": "60",
    });
    const lb = m.loadBalancers.get(r.loadBalancerArn!)!;
    expect(lb).toMatchObject({ type: "application", scheme: "internal", subnets: DEFAULT_SUBNETS, securityGroups: [sg.id] });
    const listener = m.listeners.get(r.listenerArn!)!;
    expect(listener).toMatchObject({ protocol: "HTTPS", port: 443, certificates: [CERT], sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", defaultActions: [{ Type: "forward", TargetGroupArn: tg.arn }] });
    expect(r.dnsName).toBe(lb.dnsName);
    for (const [id, role] of [[sg.id, "workbench-alb-security-group"], [tg.arn, "workbench-target-group"], [lb.arn, "workbench-alb"], [listener.arn, "workbench-listener"]] as const) {
      expect(m.tagsOf(id)).toMatchObject({ "pwb:cluster-name": CLUSTER, "pwb:role": role, "pwb:managed-by": "pwb-agent" });
    }
  });

  it("a re-run finds everything by its tags and changes nothing", async () => {
    const ep = await endpoint();
    await ensure(ep);
    const before = inventory(ep);
    const mark = ep.calls.length;
    const r = await ensure(ep);
    expect(r.steps.every((s) => s.action === "exists")).toBe(true);
    expect(mutations(ep, mark)).toEqual([]);
    expect(inventory(ep)).toEqual(before);
  });

  it("interrupted half-way (the ALB cannot be created): says what was done; the re-run completes it without duplicates", async () => {
    const ep = await endpoint();
    const fault = ep.faults.serverError({ action: "CreateLoadBalancer", status: 503 });
    const err = await ensure(ep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeFailure);
    expect((err as Error).message).toMatch(/^alb ensure failed at the load balancer: ServiceUnavailable.*Run it again to finish/);
    expect((err as RuntimeFailure).details.alreadyApplied).toEqual([
      "created security-group pwb-alb-pwb-demo",
      "updated security-group-rules pwb-alb-pwb-demo",
      `created target-group ${resolveAlbSettings(CLUSTER).targetGroupName}`,
      `updated target-group-attributes ${resolveAlbSettings(CLUSTER).targetGroupName}`,
    ]);
    expect(inventory(ep)).toMatchObject({ securityGroups: ["pwb-alb-pwb-demo"], loadBalancers: [], listeners: [] });
    fault.remove();
    const mark = ep.calls.length;
    const r = await ensure(ep);
    expect(r.steps.map((s) => [s.resource, s.action])).toEqual([
      ["security-group", "exists"], ["security-group-rules", "exists"], ["target-group", "exists"],
      ["target-group-attributes", "exists"], ["load-balancer", "created"], ["listener", "created"], ["listener", "created"],
    ]);
    expect(mutations(ep, mark)).toEqual(["CreateLoadBalancer", "CreateListener", "CreateListener"]);
    const inv = inventory(ep);
    expect([inv.securityGroups.length, inv.targetGroups.length, inv.loadBalancers.length, inv.listeners]).toEqual([1, 1, 1, ["HTTPS:443", "HTTP:80"]]);
  });

  it("answers lost after AWS acted (connection reset): retries land on the same resources, never a second one", async () => {
    const ep = await endpoint();
    for (const action of ["CreateSecurityGroup", "CreateTargetGroup", "CreateLoadBalancer", "CreateListener"]) ep.faults.dropResponse({ action, times: 1 });
    const r = await ensure(ep, {}, { aws: { endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 3 } });
    // EC2 has no idempotency for security groups: the retry gets InvalidGroup.Duplicate and ensure adopts its own group.
    expect(ep.calls.filter((c) => c.action === "CreateSecurityGroup").map((c) => c.errorCode ?? c.status)).toEqual([0, "InvalidGroup.Duplicate"]);
    // ELBv2 creates with the same name and settings return the existing resource.
    for (const action of ["CreateTargetGroup", "CreateLoadBalancer"]) expect(ep.calls.filter((c) => c.action === action).map((c) => c.status)).toEqual([0, 200]);
    // The HTTPS listener's answer is lost once; the HTTP redirect listener is created at the first try.
    expect(ep.calls.filter((c) => c.action === "CreateListener").map((c) => [c.params.Port, c.status])).toEqual([["443", 0], ["443", 200], ["80", 200]]);
    const inv = inventory(ep);
    expect([inv.securityGroups.length, inv.targetGroups.length, inv.loadBalancers.length, inv.listeners.length]).toEqual([1, 1, 1, 2]);
    expect(r.steps.find((s) => s.resource === "security-group")).toMatchObject({ action: "created", id: [...ep.model.securityGroups.keys()][0] });
  });

  it("--dry-run on a fresh account prints what it would create and creates nothing", async () => {
    const ep = await endpoint();
    const r = await ensure(ep, {}, { dryRun: true });
    expect(r.steps.map((s) => [s.resource, s.action])).toEqual([
      ["security-group", "would-create"], ["security-group-rules", "would-update"], ["target-group", "would-create"],
      ["target-group-attributes", "would-update"], ["load-balancer", "would-create"], ["listener", "would-create"], ["listener", "would-create"],
    ]);
    expect(r.steps.find((s) => s.resource === "listener")!.detail).toContain(`HTTPS 443 with ${CERT}`);
    expect(mutations(ep)).toEqual([]);
    expect(inventory(ep)).toEqual({ securityGroups: [], targetGroups: [], loadBalancers: [], listeners: [] });
  });

  it("changed settings: dry-run says what would change; the real run updates listener, health check and attributes in place", async () => {
    const ep = await endpoint();
    const first = await ensure(ep);
    const cert2 = CERT.replace("0f1e2d3c", "99999999");
    const changed = { certificateArn: cert2, stickinessDurationSeconds: 3600, healthCheckPath: "/health-check/v2" };
    const dry = await ensure(ep, changed, { dryRun: true });
    expect(dry.steps.filter((s) => s.action !== "exists").map((s) => [s.resource, s.action])).toEqual([
      ["target-group-health-check", "would-update"], ["target-group-attributes", "would-update"], ["listener", "would-update"],
    ]);
    const mark = ep.calls.length;
    await ensure(ep, changed);
    expect(mutations(ep, mark)).toEqual(["ModifyTargetGroup", "ModifyTargetGroupAttributes", "ModifyListener"]);
    expect(ep.model.listeners.get(first.listenerArn!)!.certificates).toEqual([cert2]);
    expect(ep.model.targetGroups.get(first.targetGroupArn!)!.attributes.get("stickiness.lb_cookie.duration_seconds")).toBe("3600");
    expect(inventory(ep).listeners).toEqual(["HTTPS:443", "HTTP:80"]);
  });

  it("a port-80 listener that forwards instead of redirecting is turned into the redirect in place (ModifyListener); --no-http-redirect leaves it", async () => {
    const ep = await endpoint();
    const first = await ensure(ep);
    const http = [...ep.model.listeners.values()].find((l) => l.port === 80)!;
    http.defaultActions = [{ Type: "forward", TargetGroupArn: first.targetGroupArn! }];
    expect((await ensure(ep, { httpRedirect: false })).steps.filter((s) => s.action !== "exists")).toEqual([]);
    const dry = await ensure(ep, {}, { dryRun: true });
    expect(dry.steps.filter((s) => s.action !== "exists").map((s) => [s.name, s.action, s.detail])).toEqual([
      ["HTTP:80", "would-update", `HTTP 80 forward to ${first.targetGroupArn} becomes HTTP 80 → 301 to HTTPS 443`],
    ]);
    const mark = ep.calls.length;
    await ensure(ep);
    expect(mutations(ep, mark)).toEqual(["ModifyListener"]);
    expect(http.defaultActions[0]).toMatchObject({ Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" } });
    expect((await ensure(ep)).steps.every((s) => s.action === "exists")).toBe(true);
  });

  it("a target group of that name that pwb-agent did not create is refused, naming the setting; nothing is created", async () => {
    const ep = await endpoint();
    ep.model.addTargetGroup({ name: resolveAlbSettings(CLUSTER).targetGroupName, protocol: "HTTP", port: 8787, tags: { team: "someone-else" } });
    const err = await ensure(ep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(/^--target-group-name: a target group named pwb-pwb-demo-\w+ already exists and is not tagged pwb:cluster-name=pwb-demo/);
    expect(mutations(ep).filter((a) => a !== "CreateSecurityGroup" && a !== "AuthorizeSecurityGroupIngress")).toEqual([]);
  });

  it("a renamed target group setting finds the existing group by its tags instead of creating a second", async () => {
    const ep = await endpoint();
    await ensure(ep);
    const mark = ep.calls.length;
    const r = await ensure(ep, { targetGroupName: "pwb-workbench-renamed" });
    expect(r.steps.find((s) => s.resource === "target-group")).toMatchObject({ action: "exists", name: resolveAlbSettings(CLUSTER).targetGroupName });
    expect(mutations(ep, mark)).toEqual([]);
    expect(inventory(ep).targetGroups).toHaveLength(1);
  });

  it("opens the login nodes' security groups on 8787 to the ALB's group, once", async () => {
    const ep = await endpoint();
    const login = { id: "sg-0abc00000000000aa", name: "pwb-demo-LoginNodes", description: "login", vpcId: DEFAULT_VPC, ingress: [], egress: [] };
    ep.model.securityGroups.set(login.id, login);
    const r = await ensure(ep, { targetSecurityGroupIds: [login.id] });
    expect(r.steps.at(-1)).toMatchObject({ resource: "target-security-group-rules", action: "updated", id: login.id });
    expect(login.ingress).toEqual([{ protocol: "tcp", fromPort: 8787, toPort: 8787, cidrs: [], groups: [r.securityGroupId] }]);
    const again = await ensure(ep, { targetSecurityGroupIds: [login.id] });
    expect(again.steps.at(-1)).toMatchObject({ action: "exists" });
    expect(login.ingress).toHaveLength(1);
  });
});

describe("alb ensure: the DNS name (Route 53, REST XML)", () => {
  const ZONE = "Z0123456789ABCDEFGHIJ";
  const dns = { hostedZoneId: ZONE, recordName: "workbench.example.com" };

  it("keeps an A alias from the site's name to the ALB: created, then found; a stale one is upserted in place", async () => {
    const ep = await endpoint();
    ep.model.route53.addZone(ZONE, "example.com");
    const dry = await ensure(ep, dns, { dryRun: true });
    expect(dry.steps.at(-1)).toMatchObject({ resource: "dns-record", name: "workbench.example.com", action: "would-create" });
    expect(ep.count("ChangeResourceRecordSets")).toBe(0);
    const r = await ensure(ep, dns);
    const lb = ep.model.loadBalancers.get(r.loadBalancerArn!)!;
    expect(r.steps.at(-1)).toMatchObject({ resource: "dns-record", action: "created", id: ZONE });
    expect(ep.model.route53.record(ZONE, "workbench.example.com", "A")).toEqual({
      name: "workbench.example.com.", type: "A", alias: { hostedZoneId: "Z32O12XQLNTSW2", dnsName: `${lb.dnsName}.`.toLowerCase(), evaluateTargetHealth: true },
    });
    // Signed for us-east-1 (Route 53 is global) although the cluster is in eu-west-1: the endpoint checks the scope.
    expect(ep.calls.filter((c) => c.service === "route53").map((c) => [c.action, c.status])).toEqual([
      ["ListResourceRecordSets", 200], ["ListResourceRecordSets", 200], ["ChangeResourceRecordSets", 200],
    ]);
    expect((await ensure(ep, dns)).steps.at(-1)).toMatchObject({ action: "exists" });
    expect(ep.count("ChangeResourceRecordSets")).toBe(1);

    ep.model.route53.zones.get(ZONE)!.records.set("workbench.example.com. A", { name: "workbench.example.com.", type: "A", ttl: 300, values: ["10.0.0.99"] });
    const fixed = await ensure(ep, dns);
    expect(fixed.steps.at(-1)).toMatchObject({ action: "updated", detail: expect.stringContaining("a plain A record becomes A alias") });
    expect(ep.model.route53.record(ZONE, "workbench.example.com", "A")?.alias?.dnsName).toBe(`${lb.dnsName}.`.toLowerCase());
  });

  it("a zone that does not exist: the run fails at the DNS record, saying so; everything before it stands", async () => {
    const ep = await endpoint();
    const err = await ensure(ep, dns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeFailure);
    expect((err as Error).message).toMatch(/^alb ensure failed at the DNS record: NoSuchHostedZone/);
    expect(inventory(ep).listeners).toEqual(["HTTPS:443", "HTTP:80"]);
  });

  it("a zone without a name, or a name that is not DNS: bad settings before any AWS call", async () => {
    const ep = await endpoint();
    for (const input of [{ hostedZoneId: ZONE }, { recordName: "workbench.example.com" }, { ...dns, recordName: "not a name" }, { ...dns, hostedZoneId: "zone-1" }]) {
      const { albSettingProblems } = await import("../../agent/alb/settings.js");
      expect(albSettingProblems(resolveAlbSettings(CLUSTER, { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, certificateArn: CERT, ...input }), "ensure").length).toBe(1);
    }
    expect(ep.calls).toEqual([]);
  });
});
