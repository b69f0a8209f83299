import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { checkAlbSyncFresh, checkLastApply, driftOutcome, noAlb, unitsOutcome } from "../../agent/node/doctor/agent-state.js";
import { check, fail, ok, runChecks, skipped, warn, type CheckResult } from "../../agent/doctor/checks.js";
import { doctorFailed, doctorJson, renderDoctorTable } from "../../agent/doctor/report.js";
import type { Change } from "../../agent/engine/types.js";
import { registerSecret } from "../../agent/log.js";
import { Root } from "../../agent/nodefs/root.js";
import { tempDir } from "../helpers/engine.js";

const NOW = 1_800_000_000_000;
const row = (name: string, status: CheckResult["status"], detail = "d", fix?: string): CheckResult => ({ id: name, name, status, detail, ms: 1, ...(fix ? { fix } : {}) });

describe("doctor's verdict: one failure fails the node, warnings and skips do not", () => {
  it("doctorFailed and doctorJson", () => {
    expect(doctorFailed([row("a", "ok"), row("b", "warn"), row("c", "skipped")])).toBe(false);
    expect(doctorFailed([row("a", "ok"), row("b", "fail")])).toBe(true);
    expect(doctorFailed([])).toBe(false);
    expect(doctorJson([row("a", "fail")], "login", true)).toEqual({ role: "login", simulated: true, ok: false, checks: [row("a", "fail")] });
    expect(doctorJson([row("a", "ok")], "head", false).ok).toBe(true);
  });

  it("the table: aligned columns, a fix under failures and warnings only, the closing line", () => {
    const text = renderDoctorTable([row("site", "ok", "fine", "never shown"), row("database", "fail", "refused", "start it"), row("gpu", "warn", "old", "update"), row("slurm", "skipped", "n/a", "not shown")], "head");
    expect(text).toBe(
      [
        "CHECK     STATUS   DETAIL",
        "site      ok       fine",
        "database  FAIL     refused",
        "                   → start it",
        "gpu       warn     old",
        "                   → update",
        "slurm     skipped  n/a",
        "",
        "1 of 4 checks failed on this head node.",
        "",
      ].join("\n"),
    );
    expect(renderDoctorTable([row("ab", "ok"), row("cd", "skipped")], "login")).toBe("CHECK  STATUS   DETAIL\nab     ok       d\ncd     skipped  d\n\nAll 1 checks passed on this login node (1 skipped).\n");
    expect(renderDoctorTable([row("ab", "ok")], "compute").endsWith("All 1 checks passed on this compute node.\n")).toBe(true);
  });
});

describe("runChecks", () => {
  it("keeps the order, turns a throw into a failure, bounds an overrun, scrubs secrets", async () => {
    registerSecret("Doctor-S3cret-9");
    const results = await runChecks(
      [
        check("slow", "Slow", () => new Promise(() => undefined), 50),
        check("throws", "Throws", async () => { throw new Error("boom Doctor-S3cret-9"); }),
        check("fine", "Fine", async () => warn("w Doctor-S3cret-9", "fix Doctor-S3cret-9")),
        check("plain", "Plain", async () => ok("o")),
      ],
      5_000,
    );
    expect(results.map((r) => [r.id, r.name, r.status, r.detail, r.fix])).toEqual([
      ["slow", "Slow", "fail", "no result within its 0.05 s deadline (abandoned)", undefined],
      ["throws", "Throws", "fail", "boom <redacted>", undefined],
      ["fine", "Fine", "warn", "w <redacted>", "fix <redacted>"],
      ["plain", "Plain", "ok", "o", undefined],
    ]);
    expect(results.every((r) => Number.isInteger(r.ms) && r.ms >= 0 && r.ms < 60_000)).toBe(true);
    expect(results[0]!.ms).toBeGreaterThanOrEqual(45);
    expect("fix" in results[3]!).toBe(false);
  });

  it("a check's ms is its own run time, no more than the whole call took", async () => {
    const t0 = performance.now();
    const [r] = await runChecks([check("a", "A", () => new Promise((res) => setTimeout(() => res(ok("o")), 20)))]);
    const whole = performance.now() - t0;
    expect(r!.ms).toBeGreaterThanOrEqual(15);
    expect(r!.ms).toBeLessThanOrEqual(Math.ceil(whole) + 1);
  });

  it("the default bound applies where a check names none; a check's own bound wins", async () => {
    const [r] = await runChecks([check("x", "X", () => new Promise(() => undefined))], 30);
    expect(r!.detail).toBe("no result within its 0.03 s deadline (abandoned)");
    expect(check("a", "A", async () => ok(""))).not.toHaveProperty("timeoutMs");
    expect(check("a", "A", async () => ok(""), 7).timeoutMs).toBe(7);
  });

  it("leaves no timer behind once a check has answered", async () => {
    vi.useFakeTimers();
    try {
      await runChecks([check("a", "A", async () => ok("o"))], 10_000);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("outcome builders: a fix only when given", () => {
    expect(ok("a")).toEqual({ status: "ok", detail: "a" });
    expect(skipped("b")).toEqual({ status: "skipped", detail: "b" });
    expect(fail("c")).toEqual({ status: "fail", detail: "c" });
    expect(fail("c", "f")).toEqual({ status: "fail", detail: "c", fix: "f" });
    expect(warn("d")).toEqual({ status: "warn", detail: "d" });
    expect(warn("d", "g")).toEqual({ status: "warn", detail: "d", fix: "g" });
  });
});

describe("agent state checks", () => {
  async function withRecord(record: unknown): Promise<Root> {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "var/lib/pwb-agent"), { recursive: true });
    await fs.writeFile(path.join(dir, "var/lib/pwb-agent/last-apply.json"), JSON.stringify(record));
    return new Root(dir);
  }
  const record = { finishedAt: NOW - 30_000, success: true, durationMs: 12_345, planned: 3, changes: 3, packages: 0, error: null, lastSuccessAt: NOW - 30_000, runs: 1, failures: 0 };

  it("last apply: none, failed (with and without a reason), succeeded (with and without packages)", async () => {
    const none = await checkLastApply(new Root(await tempDir()), NOW);
    expect(none).toMatchObject({ status: "fail", detail: "no apply recorded on this node" });
    expect(none.fix).toContain("pwb-agent apply");
    const failed = await checkLastApply(await withRecord({ ...record, success: false, error: "disk full" }), NOW);
    expect(failed).toMatchObject({ status: "fail", detail: "the last apply (30 s ago) failed: disk full" });
    expect(failed.fix).toContain("journalctl -u pwb-agent");
    expect((await checkLastApply(await withRecord({ ...record, success: false, error: null }), NOW)).detail).toBe("the last apply (30 s ago) failed: unknown error");
    expect(await checkLastApply(await withRecord(record), NOW)).toEqual({ status: "ok", detail: "succeeded 30 s ago: 3 change(s) in 12.3 s" });
    expect((await checkLastApply(await withRecord({ ...record, packages: 2 }), NOW)).detail).toBe("succeeded 30 s ago: 3 change(s) in 12.3 s, 2 package(s) installed");
  });

  const changes = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `file:/f${i}` }) as Change);

  it("drift: none is ok; some is a warning listing at most five", () => {
    expect(driftOutcome([])).toEqual({ status: "ok", detail: "the node matches its desired state (plan: no changes)" });
    expect(driftOutcome(changes(5))).toMatchObject({ status: "warn", detail: "5 resource(s) differ: file:/f0, file:/f1, file:/f2, file:/f3, file:/f4" });
    expect(driftOutcome(changes(7)).detail).toBe("7 resource(s) differ: file:/f0, file:/f1, file:/f2, file:/f3, file:/f4, … (2 more)");
    expect(driftOutcome(changes(1)).fix).toContain("pwb-agent plan");
  });

  it("alb-sync state: a directory where the file should be reads as missing; a count that is not a number is not shown", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "var/lib/pwb-agent/alb-sync.json"), { recursive: true });
    expect((await checkAlbSyncFresh(new Root(dir), NOW)).detail).toBe("/var/lib/pwb-agent/alb-sync.json is missing: alb-sync never ran");
    const dir2 = await tempDir();
    await fs.mkdir(path.join(dir2, "var/lib/pwb-agent"), { recursive: true });
    await fs.writeFile(path.join(dir2, "var/lib/pwb-agent/alb-sync.json"), JSON.stringify({ consecutiveFailures: "5" }));
    expect((await checkAlbSyncFresh(new Root(dir2), NOW)).detail).toBe("alb-sync never succeeded");
    expect(noAlb()).toEqual({ status: "skipped", detail: "the site has no alb: section" });
  });

  it("units: none differing is ok with the wanted text; otherwise a failure naming them", () => {
    expect(unitsOutcome([], "3 units enabled")).toEqual({ status: "ok", detail: "3 units enabled" });
    expect(unitsOutcome(changes(2), "x")).toEqual({ status: "fail", detail: "not as this role needs: file:/f0, file:/f1", fix: "`pwb-agent units install`" });
  });
});
