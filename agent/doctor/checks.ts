import type { CommandRunner } from "../engine/runner.js";
import type { Change } from "../engine/types.js";
import { scrubSecrets } from "../log.js";
import type { Root } from "../nodefs/root.js";
import { withDeadline } from "../engine/deadline.js";
import { mapLimit } from "../map-limit.js";

export type CheckStatus = "ok" | "fail" | "skipped" | "warn";

export interface CheckOutcome {
  status: CheckStatus;
  /** What the check saw. */
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
}

export interface CheckResult extends CheckOutcome {
  /** Stable id (`slurm.ctld`, `apptainer.exec`, …): metrics labels and scripts use it. */
  id: string;
  /** Short label for the table. */
  name: string;
  ms: number;
}

/** One health check: named, independent of the others, bounded in time. */
export interface Check {
  id: string;
  name: string;
  /** Longer than the default bound (e2e jobs wait for a node to power up). */
  timeoutMs?: number;
  run(): Promise<CheckOutcome>;
}

/** What a check may use when it runs (never when it is declared): the node, its commands, a read-only plan, the clock. */
export interface CheckContext {
  root: Root;
  runner: CommandRunner;
  /** A read-only plan of this node (all components, or only some), computed once per doctor run. */
  planChanges(only?: readonly string[]): Promise<Change[]>;
  /** Now, in ms (freshness checks). */
  now(): number;
}

/**
 * The report's sections, in the order its rows are shown: the site, what the role serves (Workbench),
 * the node's platform (shared storage, Slurm), what jobs run with (containers, the SPANK plugin), the
 * GPUs, then the agent's own state.
 */
export const CHECK_SECTIONS = ["site", "service", "platform", "jobs", "gpu", "agent"] as const;
export type CheckSection = (typeof CHECK_SECTIONS)[number];
/** Checks by the section their rows go in. */
export type SectionedChecks = Partial<Record<CheckSection, Check[]>>;

/** A check: `timeoutMs` only where the default bound is too short. */
export const check = (id: string, name: string, run: Check["run"], timeoutMs?: number): Check => ({ id, name, run, ...(timeoutMs ? { timeoutMs } : {}) });

const withFix = (o: CheckOutcome, fix: string | undefined): CheckOutcome => (fix ? { ...o, fix } : o);
export const ok = (detail: string): CheckOutcome => ({ status: "ok", detail });
export const fail = (detail: string, fix?: string): CheckOutcome => withFix({ status: "fail", detail }, fix);
export const skipped = (detail: string): CheckOutcome => ({ status: "skipped", detail });
export const warn = (detail: string, fix?: string): CheckOutcome => withFix({ status: "warn", detail }, fix);

export interface RunChecksOptions {
  /** How long a check without its own bound may take. */
  timeoutMs?: number;
  /** The whole run's bound (at least the longest single check's): a check not started by then fails. */
  totalMs?: number;
  /** Checks in flight at once: they spawn commands and open connections on a small node. */
  concurrency?: number;
}

/** A check's default bound and the whole run's: doctor runs every few minutes and must answer in seconds. */
export const CHECK_TIMEOUT_MS = 8_000;
export const CHECKS_TOTAL_MS = 10_000;

/**
 * Runs the checks (independent of each other) a few at a time, each under its own deadline: one that
 * throws or overruns fails with the reason, and the commands it started are killed at its deadline.
 * Results keep the order given.
 */
export async function runChecks(checks: readonly Check[], timeoutOrOptions: number | RunChecksOptions = {}): Promise<CheckResult[]> {
  const o = typeof timeoutOrOptions === "number" ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = o.timeoutMs ?? CHECK_TIMEOUT_MS;
  const limitOf = (c: Check) => c.timeoutMs ?? timeoutMs;
  const totalMs = Math.max(o.totalMs ?? CHECKS_TOTAL_MS, ...checks.map(limitOf));
  const runEnds = performance.now() + totalMs;
  return mapLimit([...checks], o.concurrency ?? 8, async (c) => {
    const started = performance.now();
    const outcome = await runBounded(c, Math.min(started + limitOf(c), runEnds), limitOf(c), totalMs);
    // A detail is shown to people and stored by machines: never with a secret in it.
    const result: CheckResult = { id: c.id, name: c.name, status: outcome.status, detail: scrubSecrets(outcome.detail), ms: Math.round(performance.now() - started) };
    if (outcome.fix) result.fix = scrubSecrets(outcome.fix);
    return result;
  });
}

/** One check, abandoned at `endsAt`: its verdict then names the bound it missed. */
async function runBounded(c: Check, endsAt: number, ownLimitMs: number, totalMs: number): Promise<CheckOutcome> {
  const leftMs = Math.round(endsAt - performance.now());
  const bound = leftMs < ownLimitMs ? `the ${totalMs / 1000} s for all checks` : `its ${ownLimitMs / 1000} s deadline`;
  if (leftMs <= 0) return fail(`not run: ${bound} had passed`);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(fail(`no result within ${bound} (abandoned)`));
    }, leftMs);
  });
  try {
    const work = withDeadline({ at: endsAt, signal: abort.signal, label: `check ${c.id}'s deadline` }, () => c.run());
    // An abandoned check's late rejection must not surface as an unhandled one.
    work.catch(() => undefined);
    return await Promise.race([work, overrun]);
  } catch (e) {
    return fail((e as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
