import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { albHarness, type AlbHarness } from "../aws-endpoint/harness.js";
import type { CallInfo, FaultHandle } from "../aws-endpoint/faults.js";
import { replaceLoginNode } from "../aws-endpoint/scenarios.js";

/*
 * The fault matrix: every read and write one alb-sync tick makes, each under every fault that can
 * befall it, in explicit mode (pools named) and discovery mode (pools found by tags), with a warm
 * state (cached ARNs, last complete view) and a cold one (fresh head node). The world needs one
 * registration (a new node), one deregistration by positive evidence (the node it replaces is
 * draining) and one by absence (a node taken out of its NLB without a draining phase).
 * Every other node serves and must stay: removing one is a wrongful deregistration.
 */

const open: AlbHarness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

type Mode = "explicit" | "discovery";
/** warm: cached ARNs and a last complete view; cold: a fresh head node; legacy: cold on ParallelCluster 3.7 (no deterministic names). */
type Warmth = "warm" | "cold" | "legacy";
type FaultName = "throttle" | "5xx" | "timeout" | "dropped response" | "empty answer" | "short pages";

interface Call {
  name: string;
  action: string;
  when?: (c: CallInfo, w: World) => boolean;
  write?: boolean;
  paginated?: boolean;
}

interface World {
  h: AlbHarness;
  mode: Mode;
  poolArns: Set<string>;
  /** May leave the Workbench target group this tick. */
  mayLeave: Set<string>;
  /** Serving nodes: healthy in their NLB and in the Workbench target group before the faulted tick. */
  serving: string[];
  fresh: string;
}

const CALLS: Call[] = [
  { name: "NLB DescribeTargetHealth", action: "DescribeTargetHealth", when: (c, w) => w.poolArns.has(String(c.params.TargetGroupArn)) },
  { name: "Workbench DescribeTargetHealth", action: "DescribeTargetHealth", when: (c, w) => !w.poolArns.has(String(c.params.TargetGroupArn)) },
  { name: "DescribeTargetGroups by name", action: "DescribeTargetGroups", when: (c) => "Names.member.1" in c.params },
  { name: "DescribeTargetGroups of an NLB", action: "DescribeTargetGroups", when: (c) => "LoadBalancerArn" in c.params, paginated: true },
  { name: "DescribeLoadBalancers", action: "DescribeLoadBalancers", paginated: true },
  { name: "DescribeTags", action: "DescribeTags" },
  { name: "EC2 DescribeInstances", action: "DescribeInstances" },
  { name: "RegisterTargets", action: "RegisterTargets", write: true },
  { name: "DeregisterTargets", action: "DeregisterTargets", write: true },
];

const FAULTS: FaultName[] = ["throttle", "5xx", "timeout", "dropped response", "empty answer", "short pages"];

function applies(call: Call, fault: FaultName): boolean {
  if (fault === "short pages") return call.paginated === true;
  if (fault === "empty answer") return !call.write;
  return true;
}

function inject(w: World, call: Call, fault: FaultName): FaultHandle {
  const target = { action: call.action, ...(call.when ? { when: (c: CallInfo) => call.when!(c, w) } : {}) };
  const f = w.h.ep.faults;
  switch (fault) {
    case "throttle": return f.throttle(target);
    case "5xx": return f.serverError({ ...target, status: 503 });
    case "timeout": return f.hang(target);
    case "dropped response": return f.dropResponse(target);
    case "empty answer": return f.emptyPages(target);
    case "short pages": return f.shortLastPage(target);
  }
}

/** Two pools of two nodes among other clusters' load balancers, converged, then the world moves on. */
async function world(mode: Mode, warmth: Warmth): Promise<World> {
  const h = await albHarness({
    cluster: { pools: [{ name: "login", nodes: 2 }, { name: "gpu", nodes: 2 }], otherLoadBalancers: 9, legacyNames: warmth === "legacy" },
    sync: { pools: mode === "explicit" ? ["login", "gpu"] : undefined },
  });
  open.push(h);
  // Small pages: 11 load balancers, the login NLB on the second page and the gpu one alone on the last.
  h.ep.faults.pageSize(5, { action: "DescribeLoadBalancers" });
  const first = await h.tick();
  expect(first.failures).toEqual([]);
  const [login, gpu] = h.cluster.pools as [(typeof h.cluster.pools)[0], (typeof h.cluster.pools)[0]];
  const replaced = login.instances[0]!;
  const fresh = replaceLoginNode(h.ep.model, h.cluster.cluster, login, replaced);
  h.ep.model.setTargetHealth(login.targetGroup.arn, fresh, "healthy");
  const vanished = gpu.instances[1]!;
  // Taken out of its NLB without a draining phase (detached, or the tick missed it): still running, so
  // only absence says it should go, and EC2 is asked before it does.
  h.ep.model.removeTarget(gpu.targetGroup.arn, vanished);
  if (warmth !== "warm") await fs.rm(path.join(h.dir, "var/lib/pwb-agent/alb-sync.json"));
  const mayLeave = new Set([replaced, vanished]);
  const serving = h.albTargets().filter((id) => !mayLeave.has(id));
  return { h, mode, poolArns: new Set(h.cluster.pools.map((p) => p.targetGroup.arn)), mayLeave, serving, fresh };
}

/** Every id a DeregisterTargets call named, answered or not (a dropped response still ran). */
function deregisteredIds(h: AlbHarness): string[] {
  return h.ep.calls
    .filter((c) => c.action === "DeregisterTargets")
    .flatMap((c) => Object.entries(c.params).filter(([k]) => /^Targets\.member\.\d+\.Id$/.test(k)).map(([, v]) => String(v)));
}

interface CaseResult {
  hits: number;
  outcome: string;
  untrustedReads: number;
  wrongful: string[];
  blockReasons: string[];
}

async function runCase(mode: Mode, warmth: Warmth, call: Call, fault: FaultName): Promise<CaseResult> {
  const w = await world(mode, warmth);
  const { h } = w;
  const handle = inject(w, call, fault);
  const r = await h.tick({ discoveryTtlMs: 0, ...(fault === "timeout" ? { aws: { requestTimeoutMs: 250 } } : {}) });
  handle.remove();
  const wrongful = deregisteredIds(h).filter((id) => !w.mayLeave.has(id));
  // Nothing that served before the fault stopped serving.
  expect(h.albTargets()).toEqual(expect.arrayContaining(w.serving));
  if (handle.hits > 0) {
    const prom = await fs.readFile(path.join(h.dir, "var/lib/node_exporter/textfile_collector/pwb_alb_sync.prom"), "utf8");
    if (r.outcome === "failed") expect(prom).toContain("pwb_alb_sync_last_run_success 0\n");
  }
  // Once AWS answers properly again, the next tick converges: the fault left nothing behind.
  const healed = await h.tick({ discoveryTtlMs: 0 });
  expect([healed.outcome, healed.failures]).toEqual([expect.stringMatching(/^(changed|in-sync)$/), []]);
  expect(h.albTargets()).toEqual([...w.serving, w.fresh].sort());
  expect(deregisteredIds(h).filter((id) => !w.mayLeave.has(id))).toEqual([]);
  return { hits: handle.hits, outcome: r.outcome, untrustedReads: r.untrustedReads, wrongful, blockReasons: r.blockReasons };
}

/**
 * The one faulted answer a tick cannot tell from the truth: a fresh head node (no state) whose first
 * read of the Workbench target group comes back empty. AWS's own answer for a group just created by
 * `alb ensure` looks the same; what follows is only idempotent registrations, never a removal.
 */
const indistinguishable = (warmth: Warmth, call: Call, fault: FaultName) =>
  warmth !== "warm" && call.name === "Workbench DescribeTargetHealth" && fault === "empty answer";

/**
 * The variants that do not make a call at all, so no fault can reach it; asserted both ways (such a
 * case sees no call, every other case sees its fault injected), never skipped silently.
 */
function notMade(mode: Mode, warmth: Warmth, call: Call): string | null {
  if (warmth === "warm" && call.name === "DescribeTargetGroups by name") return "a warm state has the target groups' ARNs cached";
  if (mode === "explicit" && warmth !== "legacy" && (call.name === "DescribeLoadBalancers" || call.name === "DescribeTargetGroups of an NLB")) {
    return "named pools have deterministic target group names: no load balancer scan";
  }
  if (mode === "explicit" && warmth === "warm" && call.name === "DescribeTags") return "named pools with cached ARNs need no tags";
  return null;
}

const injected: Record<string, number> = {};
const WARMTHS = ["warm", "cold", "legacy"] as const;

for (const mode of ["explicit", "discovery"] as const) {
  describe(`alb-sync fault matrix, ${mode} pools`, () => {
    for (const call of CALLS) {
      const faults = FAULTS.filter((f) => applies(call, f));
      it(`${call.name}: ${faults.join(", ")} — each fault injected (or the call not made), no wrongful deregistration, each faulted tick failed`, async () => {
        for (const warmth of WARMTHS) {
          for (const fault of faults) {
            const c = await runCase(mode, warmth, call, fault);
            const at = [mode, warmth, call.name, fault];
            expect([...at, c.wrongful]).toEqual([...at, []]);
            const why = notMade(mode, warmth, call);
            // Injected exactly where the call is made: a matcher that stops matching fails here.
            expect([...at, c.hits > 0]).toEqual([...at, why === null]);
            if (why !== null) continue;
            injected[mode] = (injected[mode] ?? 0) + 1;
            if (indistinguishable(warmth, call, fault)) {
              // Taken as the truth: the tick registers what the NLBs want, and removes nothing.
              expect([...at, c.outcome, c.blockReasons]).toEqual([...at, "changed", []]);
              continue;
            }
            expect([...at, c.outcome]).toEqual([...at, "failed"]);
            // A short answer on a warm head node is named as such (metric pwb_alb_sync_untrusted_reads_total).
            if (warmth === "warm" && (fault === "empty answer" || fault === "short pages")) {
              expect([...at, c.untrustedReads > 0]).toEqual([...at, true]);
            }
            // An NLB group that lists no targets blocks removal by absence, and says so per pool.
            if (call.name === "NLB DescribeTargetHealth" && fault === "empty answer") {
              expect([...at, [...c.blockReasons].sort()]).toEqual([...at, ["pool gpu: its NLB target group listed no targets", "pool login: its NLB target group listed no targets"]]);
            }
          }
        }
      }, 60_000);
    }
  });
}

describe("alb-sync fault matrix: the count", () => {
  // Runs after the matrix (file order): 270 cases, 39 of them variants that do not make the call.
  it("270 cases: 231 with their fault injected, 39 whose call the variant does not make", () => {
    let cases = 0;
    let notMadeCases = 0;
    for (const mode of ["explicit", "discovery"] as const) {
      for (const call of CALLS) {
        for (const warmth of WARMTHS) {
          const n = FAULTS.filter((f) => applies(call, f)).length;
          cases += n;
          if (notMade(mode, warmth, call) !== null) notMadeCases += n;
        }
      }
    }
    expect({ cases, notMadeCases, injected: (injected["explicit"] ?? 0) + (injected["discovery"] ?? 0) }).toEqual({ cases: 270, notMadeCases: 39, injected: 231 });
  });
});
