import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { imdsSettings, clearImdsTokenCache } from "../../agent/facts/imds.js";
import { defaultAlbName } from "../../agent/alb/names.js";
import { deregisterSelf, lifecycleTerminated, registerSelf, type SelfOptions } from "../../agent/alb/self.js";
import { createLogger } from "../../agent/log.js";
import { TEST_CREDENTIALS, albHarness, type AlbHarness } from "../aws-endpoint/harness.js";
import { launchLoginNode } from "../aws-endpoint/scenarios.js";
import { renderNodePolicy } from "../../agent/pcluster/iam-policies.js";
import type { RenderInput } from "../../agent/pcluster/input.js";

/*
 * A login node putting itself in the Workbench target group and taking itself out, in process, with
 * the real SDK clients against the loopback endpoint and a real HTTP server standing in for Workbench.
 */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  clearImdsTokenCache();
  for (const c of closers.splice(0)) await c();
});

/** Workbench's /health-check: 503 until `ready()`, then 200. */
async function fakeWorkbench(): Promise<{ url: string; ready(): void; probes: number }> {
  const s = { ok: false, probes: 0 };
  const server = http.createServer((req, res) => {
    s.probes += 1;
    res.writeHead(req.url === "/health-check" && s.ok ? 200 : 503).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ready: () => void (s.ok = true),
    get probes() {
      return s.probes;
    },
  };
}

async function loginNode(h: AlbHarness, wb: { url: string }) {
  const pool = h.cluster.pools[0]!;
  const id = launchLoginNode(h.ep.model, h.cluster.cluster, pool, "healthy");
  h.ep.model.imds.instanceId = id;
  const logs: Array<Record<string, unknown>> = [];
  const o: SelfOptions = {
    cluster: h.cluster.cluster, region: h.ep.model.region, instanceId: id,
    log: createLogger({ level: "debug", sink: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }),
    targetGroupName: defaultAlbName(h.cluster.cluster), targetPort: 8787, healthCheckPath: "/health-check",
    workbenchUrl: wb.url, aws: { endpoint: h.ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 }, pollMs: 50,
  };
  return { id, o, logs };
}

const targetState = (h: AlbHarness, id: string) => h.ep.model.targetsOf(h.cluster.workbench!.arn).find((t) => t.id === id)?.state;

describe("alb self-register / self-deregister", () => {
  it("registers only once Workbench answers its health check, with the Workbench port, in one RegisterTargets", async () => {
    const h = await albHarness();
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    const { id, o } = await loginNode(h, wb);
    const run = registerSelf(o);
    // The lookup runs while Workbench starts: wait for it (and a few probes), then let Workbench answer.
    for (let i = 0; i < 100 && (h.ep.count("DescribeTags") === 0 || wb.probes < 3); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect([wb.probes >= 3, h.ep.count("DescribeTags"), h.ep.count("RegisterTargets")]).toEqual([true, 1, 0]); // not before Workbench answers
    const mark = h.ep.calls.length;
    wb.ready();
    const report = await run;
    expect(report.workbenchReadyMs).toBeGreaterThan(0);
    // Once it answered, one call was left.
    expect(h.ep.calls.slice(mark).map((c) => c.action)).toEqual(["RegisterTargets"]);
    expect(h.mutations()).toEqual([{ action: "RegisterTargets", ids: [id], ports: ["8787"] }]);
    expect(targetState(h, id)).toBe("initial");
  });

  it("a throttled or failing AWS does not leave the node out: registration is retried until it lands", async () => {
    const h = await albHarness();
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    wb.ready();
    const { id, o, logs } = await loginNode(h, wb);
    h.ep.faults.throttle({ action: "RegisterTargets", times: 2 });
    h.ep.faults.serverError({ action: "DescribeTargetGroups", times: 1 });
    await registerSelf(o);
    expect(targetState(h, id)).toBe("initial");
    expect(logs.filter((l) => String(l.msg).endsWith("failed; trying again"))).toHaveLength(3);
  });

  it("deregisters, then waits while the ALB drains the node (the target group's delay), and returns once it is gone", async () => {
    const h = await albHarness({ endpoint: { drainMs: 700 } });
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    wb.ready();
    const { id, o } = await loginNode(h, wb);
    await registerSelf(o);
    const t0 = Date.now();
    const r = await deregisterSelf(o);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect([r.finalState, r.drainedMs >= 600]).toEqual(["unused", true]);
    expect(targetState(h, id)).toBeUndefined();
    expect(h.mutations().at(-1)).toEqual({ action: "DeregisterTargets", ids: [id], ports: ["8787"] });
  });

  it("a drain longer than the wait allows: gives up waiting at maxWait, says so, and lets Workbench stop", async () => {
    const h = await albHarness({ endpoint: { drainMs: 60_000 } });
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    wb.ready();
    const { o, logs } = await loginNode(h, wb);
    await registerSelf(o);
    const r = await deregisterSelf({ ...o, maxWaitMs: 300 });
    expect(r.finalState).toBe("draining");
    expect(logs.some((l) => l.msg === "the ALB is still draining this node; letting Workbench stop anyway")).toBe(true);
  });

  it("IMDS target-lifecycle-state: InService keeps watching, Terminated ends the watch; absent means not in an ASG", async () => {
    const h = await albHarness();
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    const { o } = await loginNode(h, wb);
    const imds = imdsSettings({ enabled: true, endpoint: h.ep.url }, {});
    expect(await lifecycleTerminated({ ...o, imds })).toBe("not-in-asg");
    h.ep.model.imds.targetLifecycleState = "InService";
    const watch = lifecycleTerminated({ ...o, imds });
    let done = false;
    void watch.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 250));
    expect(done).toBe(false);
    h.ep.model.imds.targetLifecycleState = "Terminated";
    expect(await watch).toBe("terminated");
  });

  it("the login node's IAM policy grants exactly the ELB actions these calls make, the changes only on this cluster's tagged group", async () => {
    const h = await albHarness({ endpoint: { drainMs: 100 } });
    closers.push(() => h.close());
    const wb = await fakeWorkbench();
    wb.ready();
    const { o } = await loginNode(h, wb);
    await registerSelf({ ...o, waitHealthyMs: 200 });
    await deregisterSelf(o);
    expect(h.ep.calls.filter((c) => c.status !== 200)).toEqual([]);
    const called = [...new Set(h.ep.calls.filter((c) => c.service === "elbv2").map((c) => `elasticloadbalancing:${c.action}`))].sort();
    const input = { clusterName: "pwb-demo", region: "eu-west-1", partition: "aws", accountId: "123456789012", access: { artifacts: { bucket: "b", keys: ["k"] }, parameterPath: "/pwb/", deniedParameters: [] }, alb: { vpcId: null, hostedZoneId: null, recordName: null, targetSecurityGroupIds: [] } } as unknown as RenderInput;
    const policy = JSON.parse(renderNodePolicy(input, "login")) as { Statement: Array<{ Action: string | string[]; Resource: string; Condition: { StringEquals: Record<string, string> } }> };
    const elb = policy.Statement.filter((s) => [s.Action].flat().some((a) => a.startsWith("elasticloadbalancing:")));
    expect(elb.flatMap((s) => [s.Action].flat()).sort()).toEqual(called);
    const writes = elb.find((s) => [s.Action].flat().includes("elasticloadbalancing:RegisterTargets"))!;
    expect(writes.Resource).toBe("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/*/*");
    // The tags alb ensure puts on the Workbench target group (the endpoint's seeded one carries them too).
    const tags = h.ep.model.tagsOf(h.cluster.workbench!.arn);
    for (const [k, v] of Object.entries(writes.Condition!.StringEquals)) expect([k, tags[k.replace("aws:ResourceTag/", "")]]).toEqual([k, v]);
  });
});
