import type { CommandRunner } from "../engine/runner.js";
import type { Change } from "../engine/types.js";
import { scrubSecrets } from "../log.js";
import type { Root } from "../nodefs/root.js";

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

/** Runs every check at once; a check that throws or overruns fails with the reason. Results keep the order given. */
export async function runChecks(checks: readonly Check[], timeoutMs = 10_000): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      const limit = c.timeoutMs ?? timeoutMs;
      let outcome: CheckOutcome;
      let timer: NodeJS.Timeout | undefined;
      try {
        const overrun = new Promise<CheckOutcome>((resolve) => {
          timer = setTimeout(() => resolve(fail(`no result within ${limit / 1000} s`)), limit);
        });
        outcome = await Promise.race([c.run(), overrun]);
      } catch (e) {
        outcome = fail((e as Error).message);
      } finally {
        clearTimeout(timer);
      }
      // A detail is shown to people and stored by machines: never with a secret in it.
      const result: CheckResult = { id: c.id, name: c.name, status: outcome.status, detail: scrubSecrets(outcome.detail), ms: Math.round(performance.now() - started) };
      if (outcome.fix) result.fix = scrubSecrets(outcome.fix);
      return result;
    }),
  );
}
