import { scrubSecrets } from "../log.js";

export type CheckStatus = "ok" | "fail" | "skipped" | "warn";

export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
}

export interface CheckResult extends CheckOutcome {
  name: string;
  ms: number;
}

/** One health check: named, independent of the others, bounded in time. */
export interface Check {
  name: string;
  run(): Promise<CheckOutcome>;
}

export const ok = (detail: string): CheckOutcome => ({ status: "ok", detail });
export const fail = (detail: string): CheckOutcome => ({ status: "fail", detail });
export const skipped = (detail: string): CheckOutcome => ({ status: "skipped", detail });
export const warn = (detail: string): CheckOutcome => ({ status: "warn", detail });

/** Runs every check at once; a check that throws or overruns fails with the reason. Results keep the order given. */
export async function runChecks(checks: readonly Check[], timeoutMs = 10_000): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      let outcome: CheckOutcome;
      let timer: NodeJS.Timeout | undefined;
      try {
        const overrun = new Promise<CheckOutcome>((resolve) => {
          timer = setTimeout(() => resolve(fail(`no result within ${timeoutMs / 1000} s`)), timeoutMs);
        });
        outcome = await Promise.race([c.run(), overrun]);
      } catch (e) {
        outcome = fail((e as Error).message);
      } finally {
        clearTimeout(timer);
      }
      // A detail is shown to people and stored by machines: never with a secret in it.
      return { name: c.name, status: outcome.status, detail: scrubSecrets(outcome.detail), ms: Math.round(performance.now() - started) };
    }),
  );
}
