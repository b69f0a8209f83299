import { describe, expect, it } from "vitest";
import { DEFAULT_GUARD_POLICY, FRESH_GUARD, reconcile, type GuardState, type PoolRead, type ReconcileInput } from "../../agent/alb/sync/reconcile.js";
import type { ObservedTarget } from "../../agent/alb/types.js";

/*
 * The sync's decision as a pure function: NLB reads + Workbench read + guard state → changes.
 * No I/O here; the wire-level scenarios are in test/integration/alb-sync.test.ts.
 */

const nlb = (id: string, state: string, reason?: string): ObservedTarget => ({ id, port: 22, state, ...(reason ? { reason } : {}) });
const alb = (id: string, state = "healthy", port = 8787, reason?: string): ObservedTarget => ({ id, port, state, ...(reason ? { reason } : {}) });
const pool = (targets: ObservedTarget[], name = "login"): PoolRead => ({ pool: name, ok: true, targets });
const failed = (error: string, name = "login"): PoolRead => ({ pool: name, ok: false, error });

function run(pools: PoolRead[], workbench: ObservedTarget[] | { error: string }, guard: GuardState = FRESH_GUARD, policy = DEFAULT_GUARD_POLICY) {
  const input: ReconcileInput = {
    pools,
    workbench: Array.isArray(workbench) ? { ok: true, targets: workbench } : { ok: false, error: workbench.error },
    port: 8787,
    policy,
    guard,
  };
  const r = reconcile(input);
  return { ...r, reg: r.register.map((c) => c.id), dereg: r.deregister.map((c) => c.id), heldIds: r.held.map((c) => c.id), blockedIds: r.blocked.map((c) => c.id) };
}

describe("reconcile: what to register", () => {
  it("registers healthy and initial NLB targets on Workbench's port, and nothing else", () => {
    const r = run([pool([nlb("i-a", "healthy"), nlb("i-b", "initial"), nlb("i-c", "unhealthy"), nlb("i-d", "unavailable"), nlb("i-e", "draining")])], []);
    expect(r.reg).toEqual(["i-a", "i-b"]);
    expect(r.register.every((c) => c.port === 8787)).toBe(true);
    expect(r.register.map((c) => c.reason)).toEqual(["healthy-in-nlb", "initial-in-nlb"]);
    expect(r.dereg).toEqual([]);
    expect(r.desired).toEqual(["i-a", "i-b"]);
  });

  it("a target already registered on another port is not ours: the node is registered on 8787 and the other port left alone", () => {
    const r = run([pool([nlb("i-a", "healthy")])], [alb("i-a", "healthy", 8080), alb("i-x", "healthy", 8080)]);
    expect(r.reg).toEqual(["i-a"]);
    expect(r.dereg).toEqual([]);
    expect(r.actual).toEqual([]);
  });

  it("a node whose ALB target is still draining from an earlier removal is registered again when the NLB wants it", () => {
    const r = run([pool([nlb("i-a", "healthy")])], [alb("i-a", "draining")]);
    expect(r.reg).toEqual(["i-a"]);
  });

  it("in sync: no changes, zero drift", () => {
    const r = run([pool([nlb("i-a", "healthy"), nlb("i-b", "healthy")])], [alb("i-a"), alb("i-b", "initial")]);
    expect([r.reg, r.dereg, r.heldIds, r.blockedIds, r.drift]).toEqual([[], [], [], [], 0]);
  });

  it("several pools: the union of their nodes", () => {
    const r = run([pool([nlb("i-a", "healthy")], "login"), pool([nlb("i-g", "initial")], "gpu")], [alb("i-a")]);
    expect(r.register).toEqual([{ id: "i-g", port: 8787, reason: "initial-in-nlb", pool: "gpu" }]);
  });
});

describe("reconcile: positive evidence removes at once", () => {
  it("a login node draining in its NLB leaves the ALB in the same tick its replacement arrives", () => {
    const r = run([pool([nlb("i-old", "draining", "Target.DeregistrationInProgress"), nlb("i-b", "healthy"), nlb("i-new", "initial")])], [alb("i-old"), alb("i-b")]);
    expect(r.reg).toEqual(["i-new"]);
    expect(r.deregister).toEqual([{ id: "i-old", port: 8787, reason: "draining-in-nlb", pool: "login" }]);
  });

  it("draining removes even when it is every target (ParallelCluster scaling the pool to zero)", () => {
    const r = run([pool([nlb("i-a", "draining"), nlb("i-b", "draining")])], [alb("i-a"), alb("i-b")]);
    expect(r.dereg).toEqual(["i-a", "i-b"]);
    expect(r.heldIds).toEqual([]);
  });

  it("stopped or terminated (unused / Target.InvalidState) in the NLB or in the ALB removes", () => {
    const r = run(
      [pool([nlb("i-a", "unused", "Target.InvalidState"), nlb("i-b", "healthy")])],
      [alb("i-a"), alb("i-b"), alb("i-c", "unused", 8787, "Target.InvalidState")],
    );
    expect(r.deregister.map((c) => [c.id, c.reason])).toEqual([["i-a", "stopped-in-nlb"], ["i-c", "stopped-in-alb"]]);
  });

  it("the ALB's own InvalidState still removes when the NLB read failed (it is evidence about the instance itself)", () => {
    const r = run([failed("Throttling: Rate exceeded")], [alb("i-a"), alb("i-c", "unused", 8787, "Target.InvalidState")]);
    expect(r.dereg).toEqual(["i-c"]);
    expect(r.blockedIds).toEqual(["i-a"]);
  });

  it("a target already draining in the ALB is not deregistered again", () => {
    const r = run([pool([nlb("i-a", "draining"), nlb("i-b", "healthy")])], [alb("i-a", "draining"), alb("i-b")]);
    expect(r.dereg).toEqual([]);
  });

  it("want wins over leave when an id shows up in two pools", () => {
    const r = run([pool([nlb("i-a", "draining")], "p1"), pool([nlb("i-a", "healthy")], "p2")], [alb("i-a")]);
    expect([r.reg, r.dereg]).toEqual([[], []]);
  });
});

describe("reconcile: guards on removal by absence", () => {
  it("never deregisters on a failed read", () => {
    const r = run([failed("InternalFailure")], [alb("i-a"), alb("i-b")]);
    expect(r.dereg).toEqual([]);
    expect(r.blockedIds).toEqual(["i-a", "i-b"]);
    expect(r.blockReasons).toEqual(["pool login: InternalFailure"]);
    expect(r.guard).toEqual(FRESH_GUARD);
  });

  it("never deregisters on an empty read, however often it repeats", () => {
    let guard = FRESH_GUARD;
    for (let i = 0; i < 10; i += 1) {
      const r = run([pool([])], [alb("i-a"), alb("i-b")], guard);
      expect(r.dereg).toEqual([]);
      expect(r.blockReasons).toEqual(["pool login: its NLB target group listed no targets"]);
      guard = r.guard;
    }
  });

  it("one empty pool blocks removal by absence everywhere, but registration in the other pools goes on", () => {
    const r = run([pool([nlb("i-a", "healthy"), nlb("i-n", "healthy")], "login"), pool([], "gpu")], [alb("i-a"), alb("i-gone")]);
    expect(r.reg).toEqual(["i-n"]);
    expect(r.dereg).toEqual([]);
    expect(r.blockedIds).toEqual(["i-gone"]);
  });

  it("a failed Workbench read changes nothing at all", () => {
    const r = run([pool([nlb("i-a", "healthy"), nlb("i-b", "draining")])], { error: "TargetGroupNotFound" });
    expect([r.reg, r.dereg]).toEqual([[], []]);
    expect(r.blockReasons).toEqual(["Workbench target group: TargetGroupNotFound"]);
  });

  it("no pool read at all (none configured or found) removes nothing", () => {
    const r = run([], [alb("i-a")]);
    expect(r.dereg).toEqual([]);
    expect(r.blockReasons).toEqual(["no login pool was read"]);
  });

  it("absence within the share removes at once: one of two, one of one", () => {
    expect(run([pool([nlb("i-a", "healthy")])], [alb("i-a"), alb("i-gone")]).dereg).toEqual(["i-gone"]);
    expect(run([pool([nlb("i-new", "healthy")])], [alb("i-gone")]).dereg).toEqual(["i-gone"]);
  });

  it("unhealthy, unhealthy.draining and unavailable NLB targets are kept, never added: flapping cannot churn the ALB", () => {
    const states = ["unhealthy", "unhealthy.draining", "unavailable", "unused"];
    for (const s of states) {
      const r = run([pool([nlb("i-a", s), nlb("i-b", "healthy")])], [alb("i-a"), alb("i-b")]);
      expect([s, r.reg, r.dereg]).toEqual([s, [], []]);
      expect(run([pool([nlb("i-a", s), nlb("i-b", "healthy")])], [alb("i-b")]).reg).toEqual([]);
    }
  });

  it("more than the share is held until the same answer is seen on confirmTicks consecutive ticks", () => {
    const wb = [alb("i-1"), alb("i-2"), alb("i-3"), alb("i-4")];
    const reads = [pool([nlb("i-1", "healthy")])]; // three of four vanished from the NLB
    const t1 = run(reads, wb);
    expect(t1.dereg).toEqual([]);
    expect(t1.heldIds).toEqual(["i-2", "i-3", "i-4"]);
    expect(t1.guard.streak).toBe(1);
    const t2 = run(reads, wb, t1.guard);
    expect([t2.dereg, t2.guard.streak, t2.guard.fingerprint]).toEqual([[], 2, t1.guard.fingerprint]);
    const t3 = run(reads, wb, t2.guard);
    expect(t3.dereg).toEqual(["i-2", "i-3", "i-4"]);
    expect(t3.guard).toEqual(FRESH_GUARD);
    expect(t3.drift).toBe(3);
  });

  it("a different answer restarts the count; a failed tick in between restarts it too", () => {
    const wb = [alb("i-1"), alb("i-2"), alb("i-3"), alb("i-4")];
    const a = run([pool([nlb("i-1", "healthy")])], wb);
    const b = run([pool([nlb("i-2", "healthy")])], wb, a.guard); // another answer
    expect(b.guard.streak).toBe(1);
    expect(b.guard.fingerprint).not.toBe(a.guard.fingerprint);
    const c = run([failed("Throttling")], wb, b.guard);
    expect(c.guard).toEqual(FRESH_GUARD);
    const d = run([pool([nlb("i-2", "healthy")])], wb, c.guard);
    expect([d.dereg, d.guard.streak]).toEqual([[], 1]);
  });

  it("the share and the tick count are policy", () => {
    const wb = [alb("i-1"), alb("i-2"), alb("i-3"), alb("i-4")];
    const reads = [pool([nlb("i-1", "healthy")])];
    expect(run(reads, wb, FRESH_GUARD, { maxRemoveShare: 0.75, confirmTicks: 3 }).dereg).toEqual(["i-2", "i-3", "i-4"]);
    expect(run(reads, wb, FRESH_GUARD, { maxRemoveShare: 0.25, confirmTicks: 1 }).dereg).toEqual(["i-2", "i-3", "i-4"]);
  });
});

describe("reconcile: EC2's word before a removal by absence", () => {
  const wb = [alb("i-1"), alb("i-2"), alb("i-3")];
  const reads = [pool([nlb("i-1", "healthy"), nlb("i-2", "healthy")])];
  const decide = (instances: ReconcileInput["instances"], poolReads: PoolRead[] = reads) =>
    reconcile({ pools: poolReads, workbench: { ok: true, targets: wb }, port: 8787, policy: DEFAULT_GUARD_POLICY, guard: FRESH_GUARD, instances });

  it("a running node of a pool this tick did not read is kept, and so is every other absent node", () => {
    const r = decide(new Map([["i-3", { state: "running", pool: "gpu" }]]));
    expect([r.deregister, r.blocked.map((c) => c.id)]).toEqual([[], ["i-3"]]);
    expect(r.blockReasons).toEqual(["i-3 is a running login node of pool gpu, which this tick did not read"]);
  });

  it("a node out of a pool that was read in full goes, running or not; so does one EC2 no longer knows", () => {
    for (const facts of [{ state: "running", pool: "login" }, { state: "terminated", pool: "gpu" }, { state: "gone" }, { state: "running" }]) {
      const r = decide(new Map([["i-3", facts]]));
      expect([facts, r.deregister.map((c) => [c.id, c.reason])]).toEqual([facts, [["i-3", "gone-from-nlb"]]]);
    }
  });

  it("EC2 unreadable: nothing is removed by absence, and the reason says so", () => {
    const r = decide({ error: "Throttling" });
    expect([r.deregister, r.blocked.map((c) => c.id), r.blockReasons]).toEqual([[], ["i-3"], ["EC2: Throttling"]]);
  });

  it("an empty read of a pool scaled to zero counts as complete; of any other pool it blocks", () => {
    const idle: PoolRead = { pool: "gpu", ok: true, targets: [], idle: true };
    const r = decide(new Map([["i-3", { state: "running", pool: "gpu" }]]), [...reads, idle]);
    expect(r.deregister.map((c) => c.id)).toEqual(["i-3"]);
    const notIdle = decide(new Map([["i-3", { state: "running", pool: "gpu" }]]), [...reads, { ...idle, idle: false }]);
    expect([notIdle.deregister, notIdle.blocked.map((c) => c.id)]).toEqual([[], ["i-3"]]);
  });
});
