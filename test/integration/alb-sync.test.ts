import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loginPoolTargetGroupName } from "../../agent/alb/names.js";
import { albHarness, type AlbHarness } from "../aws-endpoint/harness.js";
import { launchLoginNode, replaceLoginNode } from "../aws-endpoint/scenarios.js";

/*
 * alb-sync ticks, in process, with the real SDK v3 clients against the loopback endpoint.
 * Each scenario is one the issue names; the endpoint's call log is the evidence.
 */

const open: AlbHarness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
async function harness(...args: Parameters<typeof albHarness>): Promise<AlbHarness> {
  const h = await albHarness(...args);
  open.push(h);
  return h;
}

const actions = (h: AlbHarness, from = 0) => h.ep.calls.slice(from).map((c) => c.action);
const changeLines = (h: AlbHarness) => h.logs.filter((l) => l.action === "register" || l.action === "deregister");

describe("alb-sync: converging", () => {
  it("first tick registers the healthy login nodes on 8787; the steady tick after costs two DescribeTargetHealth calls", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    const first = await h.tick();
    expect(first.outcome).toBe("changed");
    expect(first.pools).toEqual([{ pool: "login", targetGroupArn: pool.targetGroup.arn, via: "name", targets: 2 }]);
    expect(h.albTargets()).toEqual([...pool.instances].sort());
    expect(h.mutations()).toEqual([{ action: "RegisterTargets", ids: [...pool.instances].sort(), ports: ["8787", "8787"] }]);
    // Found by ParallelCluster's deterministic name, verified by tags: no scan of the account.
    expect(h.ep.calls.find((c) => c.action === "DescribeTargetGroups")!.params).toMatchObject({ "Names.member.1": loginPoolTargetGroupName("pwb-demo", "login") });
    expect(h.ep.count("DescribeLoadBalancers")).toBe(0);

    const before = h.ep.calls.length;
    const steady = await h.tick();
    expect(steady.outcome).toBe("in-sync");
    expect(actions(h, before)).toEqual(["DescribeTargetHealth", "DescribeTargetHealth"]);
    expect(steady.apiCalls).toBe(2);
    expect(steady.drift).toBe(0);
  });

  it("writes the state (cached ARNs) and the Prometheus textfile under the root, atomically", async () => {
    const h = await harness();
    await h.tick();
    const state = JSON.parse(await fs.readFile(path.join(h.dir, "var/lib/pwb-agent/alb-sync.json"), "utf8"));
    expect(state).toMatchObject({
      cluster: "pwb-demo",
      pools: { login: { targetGroupArn: h.cluster.pools[0]!.targetGroup.arn, via: "name" } },
      workbench: { targetGroupArn: h.cluster.workbench!.arn },
      consecutiveFailures: 0,
      counters: { ticks: 1, registered: 2, deregistered: 0, apiCalls: 7 },
    });
    const prom = await fs.readFile(path.join(h.dir, "var/lib/node_exporter/textfile_collector/pwb_alb_sync.prom"), "utf8");
    expect(prom).toContain("pwb_alb_sync_last_run_success 1\n");
    expect(prom).toContain("pwb_alb_sync_registered_targets 0\n"); // before this tick's changes
    expect(prom).toContain('pwb_alb_sync_changes_total{action="register"} 2\n');
    expect(prom).toMatch(/pwb_alb_sync_last_success_timestamp_seconds \d{10}/);
    const leftovers = (await fs.readdir(path.join(h.dir, "var/lib/pwb-agent"))).filter((f) => f.includes(".pwb-tmp-"));
    expect(leftovers).toEqual([]);
  });

  it("login node replaced: the draining one is deregistered and the new one registered in the same tick, one log line each", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    const [old, kept] = pool.instances as [string, string];
    const fresh = replaceLoginNode(h.ep.model, "pwb-demo", pool, old);
    const mark = h.mutations().length;
    const logMark = changeLines(h).length;
    const r = await h.tick();
    expect(r.registered.map((c) => [c.id, c.reason])).toEqual([[fresh, "initial-in-nlb"]]);
    expect(r.deregistered.map((c) => [c.id, c.reason])).toEqual([[old, "draining-in-nlb"]]);
    expect(h.albTargets()).toEqual([kept, fresh].sort());
    expect(h.mutations().slice(mark)).toEqual([
      { action: "RegisterTargets", ids: [fresh], ports: ["8787"] },
      { action: "DeregisterTargets", ids: [old], ports: ["8787"] }, // the registration port, as AWS requires
    ]);
    expect(changeLines(h).slice(logMark).map((l) => [l.action, l.target, l.reason, l.msg])).toEqual([
      ["register", fresh, "initial-in-nlb", `registered ${fresh} with the Workbench target group`],
      ["deregister", old, "draining-in-nlb", `deregistered ${old} from the Workbench target group`],
    ]);
    // The ASG finishes: the old node leaves the NLB. Nothing more to do.
    h.ep.model.removeTarget(pool.targetGroup.arn, old);
    const calm = await h.tick();
    expect([calm.outcome, calm.apiCalls]).toEqual(["in-sync", 2]);
  });

  it("a node the ALB is still draining (deregistration delay) is neither counted nor deregistered again", async () => {
    const h = await harness({ endpoint: { drainMs: 60_000 } });
    const pool = h.cluster.pools[0]!;
    await h.tick();
    const [old] = pool.instances as [string];
    replaceLoginNode(h.ep.model, "pwb-demo", pool, old);
    await h.tick();
    expect(h.ep.model.targetsOf(h.cluster.workbench!.arn).find((t) => t.id === old)?.state).toBe("draining");
    h.ep.model.removeTarget(pool.targetGroup.arn, old);
    const mark = h.mutations().length;
    const r = await h.tick();
    expect([r.outcome, r.actual.includes(old), h.mutations().slice(mark)]).toEqual(["in-sync", false, []]);
  });

  it("a login node that vanished from the NLB without a draining phase is removed by absence (one of two is within the share)", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    h.ep.model.removeTarget(pool.targetGroup.arn, pool.instances[0]!);
    const r = await h.tick();
    expect(r.deregistered.map((c) => [c.id, c.reason])).toEqual([[pool.instances[0], "gone-from-nlb"]]);
    expect(h.albTargets()).toEqual([pool.instances[1]]);
  });

  it("more than the allowed share gone at once: held, then removed when the same answer is seen on three ticks", async () => {
    const h = await harness({ cluster: { pools: [{ name: "login", nodes: 4 }] } });
    const pool = h.cluster.pools[0]!;
    await h.tick();
    for (const id of pool.instances.slice(1)) h.ep.model.removeTarget(pool.targetGroup.arn, id);
    const t1 = await h.tick();
    const t2 = await h.tick();
    expect([t1.held.length, t2.held.length, t1.deregistered.length, t2.deregistered.length]).toEqual([3, 3, 0, 0]);
    expect(h.logs.some((l) => String(l.msg).startsWith("holding back 3 deregistrations"))).toBe(true);
    const t3 = await h.tick();
    expect(t3.deregistered.map((c) => c.id)).toEqual(pool.instances.slice(1).sort());
    expect(h.albTargets()).toEqual([pool.instances[0]]);
  });

  it("target flapping on the NLB (sshd health check) never churns the ALB", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    const fresh = launchLoginNode(h.ep.model, "pwb-demo", pool, "initial");
    const [a] = pool.instances as [string];
    const sequence: Array<[string, string]> = [
      [a, "unhealthy"], [fresh, "unhealthy"], [a, "healthy"], [fresh, "initial"], [a, "unhealthy.draining"],
      [fresh, "unhealthy"], [a, "unavailable"], [a, "healthy"], [fresh, "healthy"], [fresh, "unhealthy"],
    ];
    const mark = h.mutations().length;
    for (const [id, state] of sequence) {
      h.ep.model.setTargetHealth(pool.targetGroup.arn, id, state as never);
      const r = await h.tick();
      expect(r.failures).toEqual([]);
    }
    // The new node is registered once (on its first initial) and nothing is ever deregistered.
    expect(h.mutations().slice(mark)).toEqual([{ action: "RegisterTargets", ids: [fresh], ports: ["8787"] }]);
    expect(h.albTargets()).toEqual([...pool.instances].sort());
  });

  it("several pools from the cluster configuration on the head node", async () => {
    const h = await harness({ cluster: { pools: [{ name: "login", nodes: 2 }, { name: "gpu", nodes: 1 }] }, sync: { pools: undefined } });
    const cfg = path.join(h.dir, "opt/parallelcluster/shared/cluster-config.yaml");
    await fs.mkdir(path.dirname(cfg), { recursive: true });
    await fs.writeFile(cfg, "LoginNodes:\n  Pools:\n    - Name: login\n      Count: 2\n    - Name: gpu\n      Count: 1\n");
    const r = await h.tick();
    expect(r.poolSource).toBe("cluster-config");
    expect(r.pools.map((p) => [p.pool, p.via, p.targets])).toEqual([["login", "name", 2], ["gpu", "name", 1]]);
    expect(h.albTargets()).toEqual(h.cluster.pools.flatMap((p) => p.instances).sort());
    const before = h.ep.calls.length;
    await h.tick();
    expect(actions(h, before)).toEqual(["DescribeTargetHealth", "DescribeTargetHealth", "DescribeTargetHealth"]);
  });

  it("a cluster configuration without login pools: nothing to do, no AWS call at all", async () => {
    const h = await harness({ sync: { pools: undefined } });
    const cfg = path.join(h.dir, "opt/parallelcluster/shared/cluster-config.yaml");
    await fs.mkdir(path.dirname(cfg), { recursive: true });
    await fs.writeFile(cfg, "Region: eu-west-1\nScheduling:\n  Scheduler: slurm\n");
    const r = await h.tick();
    expect([r.outcome, r.apiCalls, h.ep.calls.length]).toEqual(["no-pools", 0, 0]);
  });

  it("no flags, no cluster configuration: pools are discovered by the NLBs' tags once, then trusted until the TTL", async () => {
    const h = await harness({ cluster: { otherLoadBalancers: 30 }, sync: { pools: undefined } });
    const r = await h.tick();
    expect([r.poolSource, r.pools.map((p) => [p.pool, p.via])]).toEqual(["discovered", [["login", "cache"]]]);
    expect(h.albTargets()).toEqual([...h.cluster.pools[0]!.instances].sort());
    const before = h.ep.calls.length;
    await h.tick();
    expect(actions(h, before)).toEqual(["DescribeTargetHealth", "DescribeTargetHealth"]);
    const later = h.ep.calls.length;
    await h.tick({ discoveryTtlMs: 0 });
    expect(actions(h, later)).toContain("DescribeLoadBalancers");
  });

  it("dry run reads and decides but changes nothing: no target change, no state, no metrics", async () => {
    const h = await harness();
    const r = await h.tick({ dryRun: true });
    expect([r.outcome, r.registered.length]).toEqual(["dry-run", 2]);
    expect(h.mutations()).toEqual([]);
    await expect(fs.access(path.join(h.dir, "var/lib/pwb-agent/alb-sync.json"))).rejects.toThrow();
    await expect(fs.access(path.join(h.dir, "var/lib/node_exporter"))).rejects.toThrow();
  });
});

describe("alb-sync: guards against bad reads", () => {
  /** A converged cluster where, without the fault, absence would remove the second node. */
  async function convergedWithOneGone() {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    h.ep.model.removeTarget(pool.targetGroup.arn, pool.instances[1]!);
    const nlbRead = { action: "DescribeTargetHealth", when: (c: { params: Record<string, unknown> }) => c.params.TargetGroupArn === pool.targetGroup.arn };
    return { h, pool, nlbRead };
  }

  const faults = {
    "fails (HTTP 500)": (h: AlbHarness, t: object) => h.ep.faults.serverError(t),
    "returns empty": (h: AlbHarness, t: object) => h.ep.faults.emptyPages(t),
    "is throttled": (h: AlbHarness, t: object) => h.ep.faults.throttle(t),
  };

  for (const [what, inject] of Object.entries(faults)) {
    it(`NLB read ${what} for 10 ticks: zero deregistrations; once it recovers the gone node is removed`, async () => {
      const { h, pool, nlbRead } = await convergedWithOneGone();
      const before = [...h.albTargets()];
      const fault = inject(h, nlbRead);
      for (let i = 0; i < 10; i += 1) {
        const r = await h.tick();
        expect(r.deregistered).toEqual([]);
        expect(r.blocked.map((c) => c.id)).toEqual(before); // absent from a read that is not there
        expect(r.outcome).toBe("failed"); // an empty NLB read is never in-sync
      }
      expect(fault.hits).toBe(10);
      expect(h.ep.count("DeregisterTargets")).toBe(0);
      expect(h.albTargets()).toEqual(before);
      fault.remove();
      const healed = await h.tick();
      expect(healed.deregistered.map((c) => c.id)).toEqual([pool.instances[1]]);
    });
  }

  it("the NLB lookup itself fails, is throttled or finds nothing on a fresh head node: nothing is removed", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    // A stale Workbench target that absence would remove if the lookup were trusted.
    const stale = h.ep.model.addInstance({}).id;
    h.ep.model.setTargetHealth(h.cluster.workbench!.arn, stale, "healthy", { port: 8787 });
    const lookups = [
      h.ep.faults.emptyPages({ action: "DescribeTargetGroups", when: (c) => "Names.member.1" in c.params }),
      h.ep.faults.emptyPages({ action: "DescribeLoadBalancers" }),
    ];
    for (let i = 0; i < 4; i += 1) {
      const r = await h.tick();
      expect(r.outcome).toBe("failed");
      // An empty answer to a lookup by name is not AWS's "not found" (that is an error): a short answer.
      expect(r.failures[0]).toMatch(/^login pool login: looking up its NLB target group: IncompleteAnswer: DescribeTargetGroups answered the name/);
    }
    for (const f of lookups) f.remove();
    const throttled = h.ep.faults.throttle({ action: "DescribeTargetGroups" });
    for (let i = 0; i < 3; i += 1) expect((await h.tick()).failures.join()).toContain("Throttling: Rate exceeded");
    throttled.remove();
    const broken = h.ep.faults.serverError({ action: "DescribeTags" });
    for (let i = 0; i < 3; i += 1) expect((await h.tick()).outcome).toBe("failed");
    broken.remove();
    expect(h.ep.count("DeregisterTargets")).toBe(0);
    expect(h.albTargets()).toContain(stale);
    // Everything healthy again: the pool is found, its nodes registered, the stale one removed.
    const r = await h.tick();
    expect(r.registered.map((c) => c.id)).toEqual([...pool.instances].sort());
    expect(r.deregistered.map((c) => c.id)).toEqual([stale]);
  });

  it("SDK standard retries absorb two throttled answers within the tick, and the metrics count them", async () => {
    const h = await harness();
    h.ep.faults.throttle({ action: "DescribeTargetHealth", times: 2 });
    const r = await h.tick({ aws: { maxAttempts: 3 } });
    expect(r.failures).toEqual([]);
    expect(h.albTargets()).toHaveLength(2);
    const throttled = h.ep.calls.filter((c) => c.errorCode === "Throttling");
    expect(throttled).toHaveLength(2);
    expect(throttled.every((c) => c.status === 400)).toBe(true);
    const prom = await fs.readFile(path.join(h.dir, "var/lib/node_exporter/textfile_collector/pwb_alb_sync.prom"), "utf8");
    expect(prom).toContain("pwb_alb_sync_api_throttled_total 2\n");
    expect(prom).toContain("pwb_alb_sync_api_errors_total 0\n");
  });

  it("a hung AWS call ends at the request timeout, and a hung tick at its deadline; neither removes anything", async () => {
    const { h, nlbRead } = await convergedWithOneGone();
    const hang = h.ep.faults.hang(nlbRead);
    const t0 = Date.now();
    const r = await h.tick({ aws: { requestTimeoutMs: 300 } });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect([r.outcome, r.deregistered.length]).toEqual(["failed", 0]);
    expect(r.failures[0]).toMatch(/^login pool login: /);
    const d = await h.tick({ deadlineMs: 400, aws: { requestTimeoutMs: 10_000 } });
    expect(d.failures.join()).toContain("deadline exceeded");
    expect(h.ep.count("DeregisterTargets")).toBe(0);
    hang.remove();
  });

  it("a login node that stopped running between read and write: the others are still registered", async () => {
    const h = await harness({ cluster: { pools: [{ name: "login", nodes: 3 }] } });
    const pool = h.cluster.pools[0]!;
    h.ep.model.instances.get(pool.instances[0]!)!.state = "stopped"; // the NLB has not noticed yet
    const r = await h.tick();
    // The batch fails as a whole, then one call per target keeps the good ones.
    const answers = h.ep.calls.filter((c) => c.action === "RegisterTargets").map((c) => c.errorCode ?? "ok");
    expect([answers[0], answers.slice(1).sort()]).toEqual(["InvalidTarget", ["InvalidTarget", "ok", "ok"]]);
    expect(r.registered.map((c) => c.id)).toEqual(pool.instances.slice(1).sort());
    expect(r.failures).toEqual([expect.stringContaining(`registering ${pool.instances[0]}: InvalidTarget`)]);
  });

  it("a deregistration batch AWS rejects for one long-gone instance (InvalidTarget) still removes the rest", async () => {
    const h = await harness({ cluster: { pools: [{ name: "login", nodes: 4 }] } });
    const pool = h.cluster.pools[0]!;
    await h.tick();
    const [a, b, c] = pool.instances as [string, string, string];
    for (const id of [a, b]) h.ep.model.setTargetHealth(pool.targetGroup.arn, id, "draining");
    h.ep.model.setTargetHealth(pool.targetGroup.arn, c, "draining");
    h.ep.model.instances.delete(c); // EC2 forgot it: AWS rejects any batch naming it
    const r = await h.tick();
    const answers = h.ep.calls.filter((x) => x.action === "DeregisterTargets").map((x) => x.errorCode ?? "ok");
    expect([answers[0], answers.slice(1).sort()]).toEqual(["InvalidTarget", ["InvalidTarget", "ok", "ok"]]);
    expect(r.deregistered.map((x) => x.id)).toEqual([a, b].sort());
    expect(r.failures).toEqual([expect.stringContaining(`deregistering ${c}: InvalidTarget`)]);
    expect(r.outcome).toBe("failed");
  });

  it("discovery: a pool whose target group is gone (TargetGroupNotFound) is removed from the view; a short scan is not", async () => {
    const h = await harness({ cluster: { pools: [{ name: "login", nodes: 2 }, { name: "gpu", nodes: 1 }] }, sync: { pools: undefined } });
    const [, gpu] = h.cluster.pools as [unknown, (typeof h.cluster.pools)[0]];
    expect((await h.tick()).pools.map((p) => p.pool)).toEqual(["gpu", "login"]);
    // A short scan: one load balancer a page, and the last page (the gpu NLB) comes back empty.
    h.ep.faults.pageSize(1, { action: "DescribeLoadBalancers" });
    const short = h.ep.faults.shortLastPage({ action: "DescribeLoadBalancers" });
    const r1 = await h.tick({ discoveryTtlMs: 0 });
    expect(r1.outcome).toBe("failed");
    expect(r1.failures.join()).toContain("missing gpu, whose target groups still exist");
    expect(r1.pools.map((p) => p.pool)).toEqual(["gpu", "login"]); // the last complete view is read
    expect([r1.deregistered, h.albTargets()]).toEqual([[], h.cluster.pools.flatMap((p) => p.instances).sort()]);
    short.remove();
    // The pool really goes: a cluster update removed its node, NLB and target group.
    h.ep.model.terminateInstance(gpu.instances[0]!);
    h.ep.model.deleteTargetGroup(gpu.targetGroup.arn);
    h.ep.model.deleteLoadBalancer(gpu.nlb.arn);
    const r2 = await h.tick({ discoveryTtlMs: 0 });
    expect([r2.failures, r2.pools.map((p) => p.pool)]).toEqual([[], ["login"]]);
    expect(r2.deregistered.map((c) => c.id)).toEqual([gpu.instances[0]]);
    expect(h.logs.some((l) => l.msg === "login pools removed: their NLB target groups no longer exist")).toBe(true);
  });

  it("no Workbench target group yet: the tick fails and says to run alb ensure", async () => {
    const h = await harness({ cluster: { workbench: false } });
    const r = await h.tick();
    expect(r.outcome).toBe("failed");
    expect(r.failures).toEqual([expect.stringContaining("create it with `pwb-agent alb ensure`")]);
    expect(h.ep.count("RegisterTargets")).toBe(0);
  });
});

describe("alb-sync: concurrency and cached ARNs", () => {
  it("two concurrent runs: one mutates, the other leaves without touching anything; the lock is free afterwards", async () => {
    const h = await harness({ endpoint: { latencyMs: 150 } });
    const [a, b] = await Promise.all([h.tick({ lockTimeoutMs: 50 }), h.tick({ lockTimeoutMs: 50 })]);
    expect([a.outcome, b.outcome].sort()).toEqual(["changed", "locked"]);
    const locked = a.outcome === "locked" ? a : b;
    expect([locked.apiCalls, locked.registered]).toEqual([0, []]);
    expect(h.ep.count("RegisterTargets")).toBe(1);
    expect(h.logs.some((l) => l.msg === "another alb-sync run holds the lock; leaving without changes")).toBe(true);
    await expect(fs.access(path.join(h.dir, "run/pwb-agent/alb-sync.lock"))).rejects.toThrow();
    expect((await h.tick()).outcome).toBe("in-sync");
  });

  it("NLB target group deleted and recreated under its name: the cached ARN is dropped, the new one found, nothing removed", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    const oldArn = pool.targetGroup.arn;
    h.ep.model.deleteTargetGroup(oldArn);
    const tg = h.ep.model.addTargetGroup({ name: pool.targetGroup.name, loadBalancerArn: pool.nlb.arn, tags: h.ep.model.tagsOf(pool.nlb.arn) });
    for (const id of pool.instances) h.ep.model.setTargetHealth(tg.arn, id, "healthy");
    const r = await h.tick();
    expect(r.failures).toEqual([]);
    expect([r.registered, r.deregistered]).toEqual([[], []]);
    expect(r.pools[0]).toMatchObject({ targetGroupArn: tg.arn, via: "name" });
    expect(h.ep.calls.filter((c) => c.errorCode === "TargetGroupNotFound").map((c) => c.params.TargetGroupArn)).toEqual([oldArn]);
    const state = JSON.parse(await fs.readFile(path.join(h.dir, "var/lib/pwb-agent/alb-sync.json"), "utf8"));
    expect(state.pools.login.targetGroupArn).toBe(tg.arn);
  });

  it("Workbench target group deleted and recreated: found again by name and tags, and refilled in the same tick", async () => {
    const h = await harness();
    await h.tick();
    const wb = h.cluster.workbench!;
    h.ep.model.deleteTargetGroup(wb.arn);
    const { seedWorkbenchTargetGroup } = await import("../aws-endpoint/scenarios.js");
    const again = seedWorkbenchTargetGroup(h.ep.model, "pwb-demo");
    h.cluster.workbench = again;
    const r = await h.tick();
    expect(r.workbenchTargetGroupArn).toBe(again.arn);
    expect(r.registered.map((c) => c.id)).toEqual([...h.cluster.pools[0]!.instances].sort());
    expect(h.albTargets()).toHaveLength(2);
  });

  it("NLB target group deleted for good: the tick fails, nothing is removed", async () => {
    const h = await harness();
    const pool = h.cluster.pools[0]!;
    await h.tick();
    h.ep.model.deleteTargetGroup(pool.targetGroup.arn);
    for (let i = 0; i < 3; i += 1) {
      const r = await h.tick();
      expect(r.outcome).toBe("failed");
      // The NLB is still there without its target group: a short answer, not a removed pool.
      expect(r.failures[0]).toContain("listed no target group for");
    }
    expect(h.ep.count("DeregisterTargets")).toBe(0);
    expect(h.albTargets()).toHaveLength(2);
  });

  it("500 load balancers and ParallelCluster 3.7 naming: the tag scan pages through them, 20 ARNs per DescribeTags; then 2 calls per tick", async () => {
    const h = await harness({ cluster: { otherLoadBalancers: 500, legacyNames: true } });
    h.ep.faults.pageSize(100, { action: "DescribeLoadBalancers" });
    const r = await h.tick();
    expect(r.failures).toEqual([]);
    expect(r.pools[0]).toMatchObject({ via: "tags", targets: 2 });
    expect(h.albTargets()).toEqual([...h.cluster.pools[0]!.instances].sort());
    const lbCalls = h.ep.calls.filter((c) => c.action === "DescribeLoadBalancers");
    expect(lbCalls).toHaveLength(6); // 501 load balancers, 100 a page
    expect(lbCalls.slice(1).every((c) => typeof c.params.Marker === "string")).toBe(true);
    const tagCalls = h.ep.calls.filter((c) => c.action === "DescribeTags");
    const arnsPer = tagCalls.map((c) => Object.keys(c.params).filter((k) => k.startsWith("ResourceArns.member.")).length);
    expect(Math.max(...arnsPer)).toBe(20);
    // 401 NLBs in the scan (every fifth other LB is an ALB), plus the Workbench target group's tag check.
    expect(arnsPer.reduce((a, b) => a + b, 0)).toBe(401 + 1);
    const before = h.ep.calls.length;
    const steady = await h.tick();
    expect([steady.outcome, actions(h, before)]).toEqual(["in-sync", ["DescribeTargetHealth", "DescribeTargetHealth"]]);
  });
});
