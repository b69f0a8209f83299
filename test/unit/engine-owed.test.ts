// The owed ledger on a simulated root: recorded before the write that owes a restart, kept when
// the apply dies before the restart, done by the next apply even when nothing else changed.
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apply } from "../../agent/engine/apply.js";
import { OWED_PATH, owedChanges, readOwed } from "../../agent/engine/owed.js";
import { plan } from "../../agent/engine/plan.js";
import { renderPlan, renderReport } from "../../agent/engine/render.js";
import type { Resource } from "../../agent/engine/types.js";
import { Root } from "../../agent/nodefs/root.js";
import { checkOwed } from "../../agent/node/doctor/agent-state.js";
import { doctorMetrics } from "../../agent/metrics/node.js";
import { context, converge, tempDir } from "../helpers/engine.js";
import { hostOs, nodeFacts } from "../helpers/node-facts.js";

const conf = (text: string): Resource => ({ kind: "file", path: "/etc/demo/demo.conf", content: text, mode: 0o644, notifies: ["demo.service"] });
/** A file whose parent is a regular file: its write fails after that file was written. */
const under = (parent: string): Resource => ({ kind: "file", path: `${parent}/not-a-dir`, content: "x", mode: 0o644 });
const broken = under("/etc/demo/demo.conf");

describe("owed restarts", () => {
  it("a restart the failed apply owed is recorded before the write and done by the next apply, with nothing else to change", async () => {
    const dir = await tempDir();
    const ctx = context(dir);
    const resources = [conf("v1\n"), broken];
    await expect(apply(await plan(resources, ctx), resources, ctx)).rejects.toThrow(/applying file:\/etc\/demo\/demo.conf\/not-a-dir failed/);
    expect(await fs.readFile(path.join(dir, "etc/demo/demo.conf"), "utf8")).toBe("v1\n");
    const owed = await readOwed(new Root(dir));
    expect(owed.restarts.map((r) => [r.unit, r.because])).toEqual([["demo.service", ["file:/etc/demo/demo.conf"]]]);
    expect(owed.daemonReload).toBe(false);
    // The plan shows it as pending (the CLI exits 10 on any entry).
    const shown = owedChanges(owed);
    expect(renderPlan(shown)).toMatch(/! restart demo\.service {2}\(restart\)\n {4}owed since \S+ by file:\/etc\/demo\/demo\.conf/);

    // Doctor fails while it is owed, naming the service and the fix; the metric counts it.
    const verdict = await checkOwed(new Root(dir), context(dir).runner);
    expect(verdict).toMatchObject({ status: "fail", fix: expect.stringMatching(/^`pwb-agent apply`/) });
    expect(verdict.detail).toMatch(/restart of demo\.service/);
    expect(doctorMetrics(nodeFacts("login", hostOs()), [], 0, 0, owed.restarts.length).toString()).toMatch(/^pwb_agent_owed_restarts 1$/m);

    const again = await converge(dir, [conf("v1\n")]);
    expect(again.changes).toEqual([]);
    expect(again.report.restarted).toEqual(["demo.service"]);
    expect(again.report.deferred).toEqual([["systemctl", "try-restart", "demo.service"]]);
    // Done: the ledger is gone, and the next apply owes nothing.
    await expect(fs.stat(path.join(dir, OWED_PATH))).rejects.toThrow(/ENOENT/);
    expect((await converge(dir, [conf("v1\n")])).report.restarted).toEqual([]);
    expect((await checkOwed(new Root(dir), context(dir).runner)).status).toBe("ok");
  });

  it("a unit file written and the apply killed before daemon-reload: the next apply reloads", async () => {
    const dir = await tempDir();
    const unit: Resource = { kind: "file", path: "/usr/lib/systemd/system/demo.service", content: "[Service]\nExecStart=/bin/true\n", mode: 0o644 };
    const ctx = context(dir);
    const failing = [unit, under("/usr/lib/systemd/system/demo.service")];
    await expect(apply(await plan(failing, ctx), failing, ctx)).rejects.toThrow(/not-a-dir failed/);
    expect((await readOwed(new Root(dir))).daemonReload).toBe(true);
    const again = await converge(dir, [unit]);
    expect(again.changes).toEqual([]);
    expect(again.report).toMatchObject({ daemonReloaded: true, deferred: [["systemctl", "daemon-reload"]] });
    expect((await readOwed(new Root(dir))).daemonReload).toBe(false);
  });

  it("an uninterrupted apply restarts once and leaves no ledger behind", async () => {
    const dir = await tempDir();
    const first = await converge(dir, [conf("v1\n")]);
    expect(first.report.restarted).toEqual(["demo.service"]);
    expect(renderReport(first.report)).toMatch(/To restart \(listed below\): demo\.service/);
    await expect(fs.stat(path.join(dir, OWED_PATH))).rejects.toThrow(/ENOENT/);
  });
});

describe("doctor's agent.owed verdict", () => {
  it("names every owed piece, the earliest time it was owed since, and whether a restart already failed", async () => {
    const dir = await tempDir();
    const root = new Root(dir);
    const early = Date.UTC(2026, 11, 1, 8, 0, 0);
    const ledger = {
      daemonReload: true,
      restarts: [
        { unit: "b.service", because: ["file:/etc/b.conf"], since: early + 60_000, invocation: "", failedOnce: true },
        { unit: "a.service", because: ["file:/etc/a.conf"], since: early, invocation: "" },
        { unit: "c.service", because: ["file:/etc/c.conf"], since: 0, invocation: "" },
      ],
    };
    await root.writeAtomic(OWED_PATH, JSON.stringify(ledger), { mode: 0o644 });
    const verdict = await checkOwed(root, context(dir).runner);
    expect(verdict.status).toBe("fail");
    // A recorded time of 0 (unknown) is not the earliest; the earliest real one is.
    expect(verdict.detail).toBe(
      `owed since ${new Date(early).toISOString()}: a systemctl daemon-reload and restart of b.service (its restart failed), a.service, c.service: the services may still run the old configuration`,
    );
    expect(verdict.fix).toBe("`pwb-agent apply` does it (journalctl -u pwb-agent says why the last one did not)");

    await root.writeAtomic(OWED_PATH, JSON.stringify({ daemonReload: false, restarts: [{ unit: "a.service", because: [], since: 0, invocation: "" }] }), { mode: 0o644 });
    expect((await checkOwed(root, context(dir).runner)).detail).toBe("owed since an earlier apply: restart of a.service: the service may still run the old configuration");

    await root.writeAtomic(OWED_PATH, JSON.stringify({ daemonReload: true, restarts: [] }), { mode: 0o644 });
    expect((await checkOwed(root, context(dir).runner)).detail).toBe("owed since an earlier apply: a systemctl daemon-reload: the services may still run the old configuration");
    await root.writeAtomic(OWED_PATH, JSON.stringify({ daemonReload: false, restarts: [] }), { mode: 0o644 });
    expect(await checkOwed(root, context(dir).runner)).toMatchObject({ status: "ok", detail: "no restart or reload owed" });
  });
});
