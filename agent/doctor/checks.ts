import { scrubSecrets } from "../log.js";

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
