import { describe, expect, it } from "vitest";
import { check, ok, runChecks } from "../../agent/doctor/checks.js";
import { SpawnRunner, type RunResult } from "../../agent/engine/runner.js";
import { silentLogger } from "../../agent/log.js";

const hangs = () => new Promise<never>(() => undefined);
const quick = (id: string) => check(id, id, async () => ok("fine"));

describe("doctor's checks, each under its own deadline", () => {
  it("fail a check that hangs at its deadline, naming it, while the others still report in order", async () => {
    const started = performance.now();
    const results = await runChecks([quick("a"), check("hangs", "hangs", hangs, 400), quick("b"), check("hangs.too", "hangs too", hangs, 400), quick("c")], { timeoutMs: 5_000 });
    const took = performance.now() - started;
    expect(results.map((r) => r.id)).toEqual(["a", "hangs", "b", "hangs.too", "c"]);
    expect(results.map((r) => r.status)).toEqual(["ok", "fail", "ok", "fail", "ok"]);
    expect(results[1]!.detail).toMatch(/no result within its 0\.4 s deadline/);
    // The two hanging checks waited side by side, not one after the other (and not the 5 s default).
    expect(took).toBeLessThan(4_000);
  });

  it("kill the commands an abandoned check started, at its deadline", async () => {
    const runner = new SpawnRunner(silentLogger());
    let seen: RunResult | undefined;
    const sleeper = check("sleeps", "sleeps", async () => {
      seen = await runner.run(["sleep", "30"], { timeoutMs: 60_000 });
      return ok("slept");
    }, 500);
    const [r] = await runChecks([sleeper]);
    expect(r!.status).toBe("fail");
    await expect.poll(() => seen, { timeout: 10_000 }).toBeDefined();
    expect(seen!.code).not.toBe(0);
    expect(seen!.durationMs).toBeLessThan(20_000);
  });

  it("bound the whole run: a check started late gets only what is left of it, and the bound is named", async () => {
    const slow = check("slow", "slow", () => new Promise((resolve) => setTimeout(() => resolve(ok("done")), 300)), 800);
    const results = await runChecks([slow, check("late", "late", hangs, 800)], { concurrency: 1, totalMs: 800 });
    expect(results[0]!.status).toBe("ok");
    expect(results[1]!.status).toBe("fail");
    expect(results[1]!.detail).toMatch(/no result within the 0\.8 s for all checks/);
  });
});
