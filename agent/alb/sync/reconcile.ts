// The decision of one sync tick, as a pure function: what the login pools' NLB target groups say
// (desired) against what the Workbench target group holds (actual), under the removal guards.
import { createHash } from "node:crypto";
import type { ObservedTarget } from "../types.js";

/** A DescribeTargetHealth answer, or why there is none. */
export type GroupRead = { ok: true; targets: ObservedTarget[] } | { ok: false; error: string };
export type PoolRead = GroupRead & { pool: string; /** Scaled to zero: an empty read is the truth. */ idle?: boolean };

export interface GuardPolicy {
  /** Share of the Workbench targets that absence from the NLB may remove in one tick (0–1). */
  maxRemoveShare: number;
  /** A larger removal goes ahead once the same answer was seen on this many consecutive ticks. */
  confirmTicks: number;
}

export const DEFAULT_GUARD_POLICY: GuardPolicy = { maxRemoveShare: 0.5, confirmTicks: 3 };

/** What the guard remembers between ticks (kept in the state file). */
export interface GuardState {
  /** Digest of the last held answer (desired and removal sets). */
  fingerprint: string | null;
  /** On how many consecutive ticks that answer was seen. */
  streak: number;
}

export const FRESH_GUARD: GuardState = { fingerprint: null, streak: 0 };

export type ChangeReason =
  | "healthy-in-nlb"
  | "initial-in-nlb"
  | "draining-in-nlb"
  | "stopped-in-nlb"
  | "stopped-in-alb"
  | "gone-from-nlb";

export interface TargetChange {
  id: string;
  port: number;
  reason: ChangeReason;
  /** The login pool that said so (absent for decisions taken from the Workbench side). */
  pool?: string;
}

export interface ReconcileInput {
  pools: PoolRead[];
  workbench: GroupRead;
  /** Workbench's port on the login nodes: the only port this sync registers or removes. */
  port: number;
  policy: GuardPolicy;
  guard: GuardState;
  /**
   * EC2's view of the targets absence would remove (instance state and its login pool tag), or why
   * it could not be read. Unset: absence is judged on the NLB reads alone.
   */
  instances?: Map<string, { state: string; pool?: string }> | { error: string };
}

export interface ReconcileResult {
  register: TargetChange[];
  deregister: TargetChange[];
  /** Removals by absence that the share guard holds back until the answer is confirmed. */
  held: TargetChange[];
  /** Targets absent from the NLB reads that are kept because some read failed or came back empty. */
  blocked: TargetChange[];
  /** Why removal by absence was not considered this tick (empty when it was). */
  blockReasons: string[];
  /** Instance ids the login pools want behind the ALB (healthy or initial in their NLB). */
  desired: string[];
  /** Instance ids in the Workbench target group on `port`, not already draining. */
  actual: string[];
  /** Targets that differ from the desired state before this tick's changes. */
  drift: number;
  /** Guard state for the next tick. */
  guard: GuardState;
}

type NlbVerdict = "want" | "leave" | "keep";

/**
 * healthy/initial: the node serves (initial covers a fresh node; the ALB's own health check on
 * Workbench decides routing, so registering early is safe). draining: ParallelCluster is taking the
 * node away, and nothing drains Workbench for it, so it leaves at once. unused + Target.InvalidState:
 * stopped or terminated. Anything else (unhealthy, unavailable, …) is kept as it is, neither added
 * nor removed, so a flapping sshd check on the NLB never churns the ALB.
 */
function nlbVerdict(t: ObservedTarget): NlbVerdict {
  if (t.state === "healthy" || t.state === "initial") return "want";
  if (t.state === "draining") return "leave";
  if (t.state === "unused" && t.reason === "Target.InvalidState") return "leave";
  return "keep";
}

const byId = (a: TargetChange, b: TargetChange) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function fingerprint(desired: string[], removals: string[]): string {
  return createHash("sha256").update(JSON.stringify([desired, removals])).digest("hex").slice(0, 32);
}

// size: the tick's whole decision, read top to bottom: each guard needs what the steps above it
// found, and split up, the order that keeps removals safe would no longer be visible in one place.
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { port } = input;
  const none = { register: [], deregister: [], held: [], blocked: [] };
  if (!input.workbench.ok) {
    return { ...none, blockReasons: [`Workbench target group: ${input.workbench.error}`], desired: [], actual: [], drift: 0, guard: FRESH_GUARD };
  }

  // Workbench side: our port only (other ports are someone else's); draining ones are already leaving.
  const ours = input.workbench.targets.filter((t) => t.port === port);
  const present = new Map(ours.filter((t) => t.state !== "draining").map((t) => [t.id, t]));

  // NLB side: one verdict per instance; "want" from any pool wins (an instance is in one pool).
  const want = new Map<string, TargetChange>();
  const leave = new Map<string, TargetChange>();
  const keep = new Set<string>();
  const blockReasons: string[] = [];
  for (const read of input.pools) {
    if (!read.ok) {
      blockReasons.push(`pool ${read.pool}: ${read.error}`);
      continue;
    }
    if (read.targets.length === 0 && !read.idle) blockReasons.push(`pool ${read.pool}: its NLB target group listed no targets`);
    for (const t of read.targets) {
      const v = nlbVerdict(t);
      if (v === "want") want.set(t.id, { id: t.id, port, reason: t.state === "healthy" ? "healthy-in-nlb" : "initial-in-nlb", pool: read.pool });
      else if (v === "leave") leave.set(t.id, { id: t.id, port, reason: t.state === "draining" ? "draining-in-nlb" : "stopped-in-nlb", pool: read.pool });
      else keep.add(t.id);
    }
  }
  if (input.pools.length === 0) blockReasons.push("no login pool was read");
  for (const id of want.keys()) leave.delete(id);

  const register = [...want.values()].filter((c) => !present.has(c.id));

  // Positive evidence removes at once: the NLB says draining/stopped, or the ALB itself says stopped.
  const deregister: TargetChange[] = [];
  for (const id of present.keys()) {
    const l = leave.get(id);
    if (l) deregister.push(l);
    else if (!want.has(id) && present.get(id)!.state === "unused" && present.get(id)!.reason === "Target.InvalidState") {
      deregister.push({ id, port, reason: "stopped-in-alb" });
    }
  }
  const removed = new Set(deregister.map((c) => c.id));

  // Absence alone removes only on complete, non-empty reads, and in bounded numbers.
  const absent: TargetChange[] = [...present.keys()]
    .filter((id) => !want.has(id) && !keep.has(id) && !leave.has(id) && !removed.has(id))
    .map((id) => ({ id, port, reason: "gone-from-nlb" as const }));

  let held: TargetChange[] = [];
  let blocked: TargetChange[] = [];
  let guard = FRESH_GUARD;
  if (absent.length && !blockReasons.length && input.instances) {
    // A running login node of a pool this tick did not read in full was missed, not removed.
    const facts = input.instances;
    if (!(facts instanceof Map)) {
      blockReasons.push(`EC2: ${facts.error}`);
    } else {
      const complete = new Set(input.pools.filter((r) => r.ok && (r.targets.length > 0 || r.idle)).map((r) => r.pool));
      const missed = absent.filter((c) => {
        const f = facts.get(c.id);
        return f !== undefined && (f.state === "running" || f.state === "pending") && f.pool !== undefined && !complete.has(f.pool);
      });
      for (const c of missed) blockReasons.push(`${c.id} is a running login node of pool ${facts.get(c.id)!.pool}, which this tick did not read`);
      blocked = missed;
      absent.splice(0, absent.length, ...absent.filter((c) => !missed.includes(c)));
    }
  }
  if (absent.length && blockReasons.length) {
    blocked = [...blocked, ...absent];
  } else if (absent.length) {
    const allowed = Math.max(1, Math.floor(present.size * input.policy.maxRemoveShare));
    if (absent.length <= allowed) {
      deregister.push(...absent);
    } else {
      const fp = fingerprint([...want.keys(), ...keep].sort(), absent.map((c) => c.id).sort());
      const streak = input.guard.fingerprint === fp ? input.guard.streak + 1 : 1;
      if (streak >= input.policy.confirmTicks) deregister.push(...absent);
      else {
        held = absent;
        guard = { fingerprint: fp, streak };
      }
    }
  }

  return {
    register: register.sort(byId),
    deregister: deregister.sort(byId),
    held: held.sort(byId),
    blocked: blocked.sort(byId),
    blockReasons,
    desired: [...want.keys()].sort(),
    actual: [...present.keys()].sort(),
    drift: register.length + deregister.length + held.length + blocked.length,
    guard,
  };
}
