// What it would cost to take RegisterTargets away from the login nodes (IAM cannot limit a login
// node to registering itself, docs/threat-model.md) and leave registration to the head node's
// alb-sync: the seconds from "the new login node's Workbench answers" to "it is in the target
// group", both ways, with the real SDK clients against the loopback endpoint. The timer's period
// and random delay come from the shipped pwb-alb-sync.timer, the tick's own duration from running
// it. Prints the figures; asserts only what holds on any machine (no tight timing).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { defaultAlbName } from "../../agent/alb/names.js";
import { registerSelf } from "../../agent/alb/self.js";
import { createLogger } from "../../agent/log.js";
import { TEST_CREDENTIALS, albHarness } from "../aws-endpoint/harness.js";
import { launchLoginNode } from "../aws-endpoint/scenarios.js";
import { findCommand, setting, shippedUnits, timespanUSec } from "../helpers/systemd.js";

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers.splice(0)) await c();
});
const REPEATS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("registering a new login node: the head's next alb-sync tick vs the node itself", () => {
  it("measures both paths and prints the figures", async () => {
    const analyze = findCommand("systemd-analyze", "systemd");
    const timer = (await shippedUnits())["pwb-alb-sync.timer"]!;
    const periodMs = (await timespanUSec(analyze, setting(timer, "Timer", "OnUnitActiveSec")!))! / 1000;
    const jitterMs = (await timespanUSec(analyze, setting(timer, "Timer", "RandomizedDelaySec")!))! / 1000;

    const h = await albHarness();
    closers.push(() => h.close());
    await h.tick(); // steady state: the ARNs are cached, the existing nodes registered
    const pool = h.cluster.pools[0]!;

    // Head path: a node joins the pool; the tick that picks it up (it waits for the timer first).
    const tickMs: number[] = [];
    for (let i = 0; i < REPEATS; i += 1) {
      const id = launchLoginNode(h.ep.model, h.cluster.cluster, pool, "healthy");
      const t0 = performance.now();
      const report = await h.tick();
      tickMs.push(performance.now() - t0);
      expect(report.registered.map((t) => t.id)).toEqual([id]);
    }

    // Self path, as the unit runs it (default poll: Workbench probed every 250 ms): from the moment
    // Workbench answers to the RegisterTargets call.
    let healthy = false;
    const wb = http.createServer((req, res) => res.writeHead(req.url === "/health-check" && healthy ? 200 : 503).end());
    await new Promise<void>((r) => wb.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => wb.close(() => r())));
    const selfMs: number[] = [];
    for (let i = 0; i < REPEATS; i += 1) {
      healthy = false;
      const id = launchLoginNode(h.ep.model, h.cluster.cluster, pool, "healthy");
      const run = registerSelf({
        cluster: h.cluster.cluster, region: h.ep.model.region, instanceId: id, log: createLogger({ level: "silent" }),
        targetGroupName: defaultAlbName(h.cluster.cluster), targetPort: 8787, healthCheckPath: "/health-check",
        workbenchUrl: `http://127.0.0.1:${(wb.address() as AddressInfo).port}`,
        aws: { endpoint: h.ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 },
      });
      await new Promise((r) => setTimeout(r, 600)); // the lookup is done while Workbench starts
      const ready = Date.now();
      healthy = true;
      await run;
      const call = h.ep.calls.find((c) => c.action === "RegisterTargets" && (c.params as Record<string, string>)["Targets.member.1.Id"] === id)!;
      selfMs.push(call.endedAt! - ready);
    }

    const tick = median(tickMs);
    const self = median(selfMs);
    const figures = {
      selfRegistrationMs: { median: Math.round(self), max: Math.round(Math.max(...selfMs)) },
      syncTickMs: { median: Math.round(tick), max: Math.round(Math.max(...tickMs)) },
      timer: { periodMs, randomizedDelayMs: jitterMs },
      // The node becomes ready at a uniformly random point of the timer's cycle.
      headOnlyMs: { mean: Math.round(periodMs / 2 + jitterMs / 2 + tick), worst: Math.round(periodMs + jitterMs + Math.max(...tickMs)) },
    };
    console.log(`alb registration latency: ${JSON.stringify(figures)}`);
    // Holds whatever the machine's load: a probe interval and one call against a timer period.
    expect(self).toBeLessThan(periodMs / 2);
    expect(figures.headOnlyMs.mean).toBeGreaterThan(self);
  }, 120_000);
});

describe("what the head's reconciler undoes of a login node's registrations (the limit IAM cannot set)", () => {
  it("an instance that is no login node of this cluster, registered by hand, is removed within a few ticks", async () => {
    const h = await albHarness();
    closers.push(() => h.close());
    await h.tick();
    const stranger = h.ep.model.addInstance({ tags: { Name: "not-a-login-node" } }).id;
    h.ep.model.setTargetHealth(h.cluster.workbench!.arn, stranger, "healthy");
    expect(h.albTargets()).toContain(stranger);
    let ticks = 0;
    while (h.albTargets().includes(stranger) && ticks < 5) {
      await h.tick();
      ticks += 1;
    }
    console.log(`foreign target removed after ${ticks} tick(s)`);
    expect(h.albTargets()).not.toContain(stranger);
  });
});
