import { afterEach, describe, expect, it } from "vitest";
import { ensurePlanEntries, renderEnsurePlan } from "../../agent/alb/ensure/plan.js";
import { runAlbEnsure, type AlbEnsureOptions } from "../../agent/alb/ensure/run.js";
import { resolveAlbSettings } from "../../agent/alb/settings.js";
import type { AlbSettingsInput } from "../../agent/alb/types.js";
import { RuntimeFailure } from "../../agent/errors.js";
import { createLogger } from "../../agent/log.js";
import { TEST_CREDENTIALS } from "../aws-endpoint/harness.js";
import { startAwsEndpoint, type AwsEndpoint } from "../aws-endpoint/index.js";
import { DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";

/*
 * Drift on an existing Workbench ALB is a pending change, as on a node: the dry run names it (the CLI
 * exits 10 on it), apply fixes it in place, and the next dry run has nothing pending. What AWS cannot
 * change in place (the scheme) is pending too, and apply refuses it before changing anything.
 * Against the loopback endpoint with the real SDK clients.
 */

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
const CLUSTER = "pwb-demo";
const THIRD_SUBNET = "subnet-0abc0000000000003";

const open: AwsEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

function ensure(ep: AwsEndpoint, input: AlbSettingsInput = {}, extra: Partial<AlbEnsureOptions> = {}) {
  return runAlbEnsure({
    cluster: CLUSTER, region: "eu-west-1",
    settings: resolveAlbSettings(CLUSTER, { vpcId: DEFAULT_VPC, subnets: DEFAULT_SUBNETS, certificateArn: CERT, ...input }),
    log: createLogger({ level: "silent" }),
    aws: { endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 },
    ...extra,
  });
}

const MUTATING = /^(Create|Modify|Authorize|Add|Register|Deregister|Delete|Set)/;
const mutations = (ep: AwsEndpoint, from: number) => ep.calls.slice(from).filter((c) => MUTATING.test(c.action)).map((c) => c.action);

/** An endpoint with the Workbench ALB made as the default settings say. */
async function madeAlb() {
  const ep = await startAwsEndpoint();
  open.push(ep);
  const made = await ensure(ep);
  const m = ep.model;
  return {
    ep, made,
    lb: m.loadBalancers.get(made.loadBalancerArn!)!,
    tg: m.targetGroups.get(made.targetGroupArn!)!,
    https: m.listeners.get(made.listenerArn!)!,
    http: [...m.listeners.values()].find((l) => l.port === 80)!,
  };
}

type Made = Awaited<ReturnType<typeof madeAlb>>;

interface Drift {
  what: string;
  /** Makes the account differ from the settings: by hand in AWS, or settings changed. */
  drift: (a: Made) => void;
  settings?: AlbSettingsInput;
  /** The plan entry that names it, and a line its summary says. */
  id: (a: Made) => string;
  says: RegExp;
  /** The one call that fixes it, and what the account then holds. */
  fix: string;
  fixed: (a: Made) => void;
}

const DRIFTS: Drift[] = [
  {
    what: "subnets", settings: { subnets: [DEFAULT_SUBNETS[1]!, THIRD_SUBNET] }, drift: () => {},
    id: (a) => `load-balancer-subnets:${a.lb.name}`, says: new RegExp(`subnets ${DEFAULT_SUBNETS.join(", ")} become ${DEFAULT_SUBNETS[1]}, ${THIRD_SUBNET}`),
    fix: "SetSubnets", fixed: (a) => expect(a.lb.subnets).toEqual([DEFAULT_SUBNETS[1], THIRD_SUBNET]),
  },
  {
    what: "security groups (its own group detached by hand)",
    drift: (a) => {
      const other = { id: "sg-0abc00000000000bb", name: "other", description: "other", vpcId: DEFAULT_VPC, ingress: [], egress: [] };
      a.ep.model.securityGroups.set(other.id, other);
      a.lb.securityGroups = [other.id];
    },
    id: (a) => `load-balancer-security-groups:${a.lb.name}`, says: /security groups sg-0abc00000000000bb become sg-0abc00000000000bb, sg-/,
    fix: "SetSecurityGroups", fixed: (a) => expect(a.lb.securityGroups).toEqual(["sg-0abc00000000000bb", a.made.securityGroupId]),
  },
  {
    what: "certificate", settings: { certificateArn: "arn:aws:iam::123456789012:server-certificate/workbench-rsa4096" }, drift: () => {},
    id: () => "listener:HTTPS:443", says: /becomes HTTPS 443 with arn:aws:iam::123456789012:server-certificate\/workbench-rsa4096/,
    fix: "ModifyListener", fixed: (a) => expect(a.https.certificates).toEqual(["arn:aws:iam::123456789012:server-certificate/workbench-rsa4096"]),
  },
  {
    what: "TLS policy changed by hand", drift: (a) => void (a.https.sslPolicy = "ELBSecurityPolicy-2016-08"),
    id: () => "listener:HTTPS:443", says: /\(ELBSecurityPolicy-TLS13-1-2-2021-06\)/,
    fix: "ModifyListener", fixed: (a) => expect(a.https.sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06"),
  },
  {
    what: "health check changed by hand", drift: (a) => void (a.tg.healthCheck.path = "/"),
    id: (a) => `target-group-health-check:${a.tg.name}`, says: /HTTP \/ → 200 every 5 s becomes HTTP \/health-check → 200 every 5 s/,
    fix: "ModifyTargetGroup", fixed: (a) => expect(a.tg.healthCheck.path).toBe("/health-check"),
  },
  {
    what: "redirect pointing at another port", drift: (a) => void (a.http.defaultActions[0]!.RedirectConfig!.Port = "8443"),
    id: () => "listener:HTTP:80", says: /redirect to HTTPS 8443 becomes HTTP 80 → 301 to HTTPS 443/,
    fix: "ModifyListener", fixed: (a) => expect(a.http.defaultActions[0]!.RedirectConfig!.Port).toBe("443"),
  },
  {
    what: "stickiness turned off by hand", drift: (a) => void a.tg.attributes.set("stickiness.enabled", "false"),
    id: (a) => `target-group-attributes:${a.tg.name}`, says: /stickiness\.enabled=true/,
    fix: "ModifyTargetGroupAttributes", fixed: (a) => expect(a.tg.attributes.get("stickiness.enabled")).toBe("true"),
  },
  {
    what: "the HTTPS rule of its security group revoked by hand",
    drift: (a) => void (a.ep.model.securityGroups.get(a.made.securityGroupId!)!.ingress = a.ep.model.securityGroups.get(a.made.securityGroupId!)!.ingress.filter((r) => r.fromPort !== 443)),
    id: () => "security-group-rules:pwb-alb-pwb-demo", says: /allow tcp 443 from 10\.0\.0\.0\/16/,
    fix: "AuthorizeSecurityGroupIngress", fixed: (a) => expect(a.ep.model.securityGroups.get(a.made.securityGroupId!)!.ingress.map((r) => r.fromPort)).toContain(443),
  },
];

describe("alb ensure: drift on the existing ALB is a pending change", () => {
  for (const d of DRIFTS) {
    it(`${d.what}: the dry run names it, apply fixes it in place, the next dry run has nothing pending`, async () => {
      const a = await madeAlb();
      d.drift(a);
      const dry = await ensure(a.ep, d.settings, { dryRun: true });
      const pending = ensurePlanEntries(dry.steps);
      expect(pending.map((e) => [e.id, e.action])).toEqual([[d.id(a), "update"]]);
      expect(renderEnsurePlan(dry.steps)).toMatch(d.says);
      expect(renderEnsurePlan(dry.steps)).toMatch(/\n\n1 change pending\.\n$/);
      const mark = a.ep.calls.length;
      await ensure(a.ep, d.settings);
      expect(mutations(a.ep, mark)).toEqual([d.fix]);
      d.fixed(a);
      const again = await ensure(a.ep, d.settings, { dryRun: true });
      expect(ensurePlanEntries(again.steps)).toEqual([]);
      expect(renderEnsurePlan(again.steps)).toBe("No changes: the Workbench ALB is in its desired state.\n");
    });
  }

  it("scheme: pending in the dry run; apply refuses it (AWS cannot change a scheme) saying what to do, and changes nothing else", async () => {
    const a = await madeAlb();
    const settings = { scheme: "internet-facing" as const, healthCheckPath: "/health-check/v2" };
    const dry = await ensure(a.ep, settings, { dryRun: true });
    expect(ensurePlanEntries(dry.steps).map((e) => e.id)).toEqual([`target-group-health-check:${a.tg.name}`, `load-balancer-scheme:${a.lb.name}`]);
    expect(renderEnsurePlan(dry.steps)).toMatch(/~ load-balancer-scheme pwb-pwb-demo-\w+ {2}\(update\)\n {4}scheme internal becomes internet-facing: AWS cannot change it in place/);
    const mark = a.ep.calls.length;
    const err = await ensure(a.ep, settings).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeFailure);
    expect((err as Error).message).toMatch(/is internal, configured internet-facing, and AWS cannot change the scheme of a load balancer: set the scheme back to internal, or delete the load balancer \(aws elbv2 delete-load-balancer --load-balancer-arn arn:aws:elasticloadbalancing:\S+\) and run alb ensure again/);
    expect((err as Error).message).toMatch(/Nothing was changed\.$/);
    expect(mutations(a.ep, mark)).toEqual([]);
    expect(a.tg.healthCheck.path).toBe("/health-check");
    expect(ensurePlanEntries((await ensure(a.ep, {}, { dryRun: true })).steps)).toEqual([]);
  });

  it("the endpoint answers SetSubnets and SetSecurityGroups as AWS does for an ALB: one subnet, or an unknown group, is refused", async () => {
    const a = await madeAlb();
    const { Elbv2 } = await import("../../agent/alb/aws/elbv2.js");
    const { ApiCallStats } = await import("../../agent/alb/aws/sdk.js");
    const elb = await Elbv2.open({ region: "eu-west-1", endpoint: a.ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 }, new ApiCallStats());
    try {
      await expect(elb.setSubnets(a.lb.arn, [THIRD_SUBNET])).rejects.toMatchObject({ name: "InvalidConfigurationRequestException", message: expect.stringContaining("two different Availability Zones") });
      await expect(elb.setSecurityGroups(a.lb.arn, ["sg-0abc00000000000cc"])).rejects.toMatchObject({ name: "InvalidSecurityGroupException" });
    } finally {
      elb.close();
    }
    expect([a.lb.subnets, a.lb.securityGroups]).toEqual([DEFAULT_SUBNETS, [a.made.securityGroupId]]);
  });
});
