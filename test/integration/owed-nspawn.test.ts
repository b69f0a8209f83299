// The engine keeps its promises under a REAL systemd (systemd-nspawn, helpers/nspawn.ts): the built
// agent runs live (root /) on a login node whose Workbench services are stand-ins (tiny units named
// rstudio-launcher/rstudio-server that sleep), and a restart a failed, killed or interrupted apply
// owed is done by the next one: the stand-in's InvocationID changes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../helpers/cli.js";
import { Container, requireNspawn, uniqueMachineName } from "../helpers/nspawn.js";
import type { Run } from "../helpers/systemd.js";

import { SERVER, LAUNCHER, SITE, FAIL_ONCE, HOLD, standIn, site } from "../helpers/owed-stand-ins.js";

let agentBinary = "";
let setupError: unknown = null;
beforeAll(() => {
  try {
    requireNspawn();
    agentBinary = requireBuilt("dist/pwb-agent");
  } catch (e) {
    setupError = e;
  }
});

const agent = (c: Container, ...args: string[]) => c.exec(["/usr/bin/pwb-agent", "--no-imds", ...args], 120_000);

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

async function show(c: Container, unit: string, prop: string): Promise<string> {
  return ok(await c.exec(["systemctl", "show", "--value", "-p", prop, unit]), `show ${prop} ${unit}`).stdout.trim();
}

describe("owed restarts under real systemd (login node, stand-in Workbench services)", () => {
  let c: Container | undefined;
  let bootError: unknown = null;
  const box = (): Container => {
    if (setupError) throw setupError;
    if (bootError) throw bootError;
    return c!;
  };

  beforeAll(async () => {
    if (setupError) return;
    try {
      c = await Container.boot({ name: uniqueMachineName("owed"), agentBinary });
      await c.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "LoginNode", stack_name: "c1", region: "eu-west-1" } }));
      await c.writeFile(SITE, site(0));
      for (const u of [LAUNCHER, SERVER]) await c.writeFile(`/etc/systemd/system/${u}`, standIn(u));
      ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
      ok(await c.exec(["systemctl", "start", LAUNCHER, SERVER]), "start stand-ins");
    } catch (e) {
      bootError = e;
    }
  }, 60_000);

  afterAll(async () => {
    await c?.stop();
  });

  interface Report { restarted: string[]; notRestarted: Array<{ unit: string; why: string }>; changes: number }
  const applyJson = async (c: Container, expectCode = 0): Promise<{ r: Run; report: Report | null }> => {
    const r = await agent(c, "--json", "apply");
    expect(r.code, `apply: ${r.stdout}\n${r.stderr}`).toBe(expectCode);
    return { r, report: r.code === 0 ? (JSON.parse(r.stdout) as Report) : null };
  };
  const invocation = (c: Container, u: string) => show(c, u, "InvocationID");
  const owedUnits = async (c: Container): Promise<string[]> => {
    const text = await c.readFile("/var/lib/pwb-agent/owed.json").catch(() => null);
    return text === null ? [] : (JSON.parse(text) as { restarts: Array<{ unit: string }> }).restarts.map((r) => r.unit);
  };
  let gen = 0;
  const nextSite = async (c: Container) => c.writeFile(SITE, site(++gen));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function waitFor(what: string, f: () => Promise<boolean>, ms = 60_000): Promise<void> {
    for (const deadline = Date.now() + ms; !(await f()); ) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  it("first apply: the drop-ins written, both running stand-ins restarted (new invocations)", async () => {
    const c = box();
    const before = [await invocation(c, LAUNCHER), await invocation(c, SERVER)];
    const { report } = await applyJson(c);
    expect(report!.restarted).toEqual(expect.arrayContaining([LAUNCHER, SERVER]));
    expect([await invocation(c, LAUNCHER), await invocation(c, SERVER)]).not.toContain(before[0]);
    expect(await invocation(c, SERVER)).not.toBe(before[1]);
    expect(await owedUnits(c)).toEqual([]);
  }, 180_000);

  it("a stopped service is reported as not restarted (nothing to restart), never under Restarted", async () => {
    const c = box();
    ok(await c.exec(["systemctl", "stop", LAUNCHER]), "stop launcher");
    await nextSite(c);
    const r = ok(await agent(c, "apply"), "apply");
    expect(r.stdout).toMatch(/^Restarted: .*rstudio-server\.service/m);
    expect(r.stdout).not.toMatch(/^Restarted: .*rstudio-launcher/m);
    expect(r.stdout).toContain("Not restarted: rstudio-launcher.service (not running: nothing to restart)");
    expect((await c.exec(["systemctl", "is-active", LAUNCHER])).stdout.trim()).toBe("inactive");
    expect(await owedUnits(c)).toEqual([]);
    ok(await c.exec(["systemctl", "start", LAUNCHER]), "start launcher");
  }, 180_000);

  it("a restart that fails once (the stand-in's start fails): apply exits 1 naming it with its journal, plan and doctor show it owed, the next apply restarts it", async () => {
    const c = box();
    await c.writeFile(`${FAIL_ONCE}.${SERVER}`, "");
    const before = await invocation(c, SERVER);
    await nextSite(c);
    const { r } = await applyJson(c, 1);
    expect(r.stderr).toMatch(/systemctl try-restart rstudio-server\.service failed \(failed to start\)/);
    expect(r.stderr).toContain("stand-in rstudio-server.service: failing this start once");
    expect(r.stderr).toMatch(/next `pwb-agent apply` does it/);
    expect(await owedUnits(c)).toEqual([SERVER]);
    const plan = await agent(c, "plan");
    expect(plan.code, plan.stderr).toBe(10);
    expect(plan.stdout).toMatch(/^! restart rstudio-server\.service {2}\(restart\)$/m);
    const doctor = await agent(c, "--json", "doctor");
    const owedCheck = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; detail: string; fix?: string }> }).checks.find((x) => x.id === "agent.owed");
    expect(owedCheck).toMatchObject({ status: "fail", fix: expect.stringContaining("pwb-agent apply") });
    expect(owedCheck!.detail).toContain("rstudio-server.service (its restart failed)");

    const { report } = await applyJson(c);
    expect(report!.changes).toBe(0);
    expect(report!.restarted).toEqual([SERVER]);
    expect((await c.exec(["systemctl", "is-active", SERVER])).stdout.trim()).toBe("active");
    expect(await invocation(c, SERVER)).not.toBe(before);
    expect(await owedUnits(c)).toEqual([]);
    expect((await agent(c, "plan")).code).toBe(0);
  }, 240_000);

  it("SIGKILL between the write and the restart it owes (apply killed while it restarts the launcher): the next apply restarts the server", async () => {
    const c = box();
    await c.writeFile(`${HOLD}.${LAUNCHER}`, "");
    try {
      const server = await invocation(c, SERVER);
      await nextSite(c);
      // A transient unit, so systemd both runs it and kills it: apply as an admin would run it (not inside pwb-agent.service).
      ok(await c.exec(["systemd-run", "--no-block", "--unit=pwb-test-apply", "-p", "Type=oneshot", "/usr/bin/pwb-agent", "--no-imds", "apply"]), "systemd-run apply");
      // The launcher restarts first and its start waits on the hold: both drop-ins are written, the server's restart not yet done.
      await waitFor("the launcher's restart to be held", async () => (await show(c, LAUNCHER, "ActiveState")) === "activating");
      ok(await c.exec(["systemctl", "kill", "--signal=SIGKILL", "pwb-test-apply.service"]), "SIGKILL the apply");
      await waitFor("the apply to end", async () => ["inactive", "failed"].includes(await show(c, "pwb-test-apply.service", "ActiveState")));
      expect(await show(c, "pwb-test-apply.service", "Result")).toBe("signal");
      expect(await invocation(c, SERVER)).toBe(server);
      expect(await owedUnits(c)).toEqual(expect.arrayContaining([SERVER]));
      await c.exec(["rm", "-f", `${HOLD}.${LAUNCHER}`]);
      await waitFor("the launcher to run", async () => (await show(c, LAUNCHER, "ActiveState")) === "active");

      const { report } = await applyJson(c);
      expect(report!.changes).toBe(0);
      expect(report!.restarted).toEqual([SERVER]);
      expect(await invocation(c, SERVER)).not.toBe(server);
      expect(await owedUnits(c)).toEqual([]);
    } finally {
      await c.exec(["rm", "-f", `${HOLD}.${LAUNCHER}`]);
      await c.exec(["systemctl", "reset-failed", "pwb-test-apply.service"]);
    }
  }, 240_000);

  it("the service started again after the write, as a reboot starts it (here by hand): the next apply settles the owed restart without another", async () => {
    const c = box();
    await c.writeFile(`${FAIL_ONCE}.${SERVER}`, "");
    await nextSite(c);
    await applyJson(c, 1); // the server's restart fails once: owed
    expect(await owedUnits(c)).toEqual([SERVER]);
    ok(await c.exec(["systemctl", "start", SERVER]), "start the server outside the agent");
    const fresh = await invocation(c, SERVER);
    const r = ok(await agent(c, "apply"), "apply");
    expect(r.stdout).toContain("Not restarted: rstudio-server.service (started again since the change (a reboot or a restart): it runs the new configuration)");
    expect(await invocation(c, SERVER)).toBe(fresh);
    expect(await owedUnits(c)).toEqual([]);
  }, 240_000);

  it("boot order: Workbench's services start after pwb-agent.service has converged, and still start when it fails", async () => {
    const c = box();
    expect((await show(c, SERVER, "After")).split(/\s+/)).toContain("pwb-agent.service");
    expect((await show(c, SERVER, "Requires")).split(/\s+/)).not.toContain("pwb-agent.service");
    for (const failing of [false, true]) {
      ok(await c.exec(["systemctl", "stop", SERVER, LAUNCHER]), "stop stand-ins");
      if (failing) await c.writeFile(SITE, "workbench: [not, a, mapping]\n");
      else await nextSite(c);
      // One transaction, as at boot: the agent and the services it configures.
      ok(await c.exec(["systemctl", "start", "pwb-agent.service", SERVER, LAUNCHER], 120_000).then((r) => (failing ? { ...r, code: 0 } : r)), "start together");
      await waitFor("the stand-ins to run", async () => (await show(c, SERVER, "ActiveState")) === "active" && (await show(c, LAUNCHER, "ActiveState")) === "active");
      const agentDone = Number(await show(c, "pwb-agent.service", "ExecMainExitTimestampMonotonic"));
      expect(agentDone).toBeGreaterThan(0);
      for (const u of [SERVER, LAUNCHER]) expect(Number(await show(c, u, "ExecMainStartTimestampMonotonic")), u).toBeGreaterThanOrEqual(agentDone);
      expect(await show(c, "pwb-agent.service", "Result")).toBe(failing ? "exit-code" : "success");
    }
    await c.writeFile(SITE, site(gen));
    await applyJson(c);
  }, 240_000);

  it("run as pwb-agent.service, apply queues the restarts it owes (waiting on them would wait on itself): they happen, and nothing stays owed", async () => {
    const c = box();
    const before = [await invocation(c, LAUNCHER), await invocation(c, SERVER)];
    await nextSite(c);
    ok(await c.exec(["systemctl", "start", "pwb-agent.service"], 120_000), "start pwb-agent.service");
    expect(await show(c, "pwb-agent.service", "Result")).toBe("success");
    await waitFor("both restarts", async () => (await invocation(c, LAUNCHER)) !== before[0] && (await invocation(c, SERVER)) !== before[1] && (await show(c, SERVER, "ActiveState")) === "active");
    const doctor = await agent(c, "--json", "doctor");
    expect((JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string }> }).checks.find((x) => x.id === "agent.owed")?.status).toBe("ok");
    // The next apply sees the new invocations and settles the queued entries without restarting again.
    const after = await invocation(c, SERVER);
    const { report } = await applyJson(c);
    expect(report!.restarted).toEqual([]);
    expect(await invocation(c, SERVER)).toBe(after);
    expect(await owedUnits(c)).toEqual([]);
  }, 240_000);
});

describe("a node whose image lacks what it should hold (real systemd)", () => {
  let c: Container | undefined;
  let bootError: unknown = null;
  const box = (): Container => {
    if (setupError) throw setupError;
    if (bootError) throw bootError;
    return c!;
  };
  beforeAll(async () => {
    if (setupError) return;
    try {
      c = await Container.boot({ name: uniqueMachineName("noimg"), agentBinary });
      await c.writeFile(SITE, site(0));
    } catch (e) {
      bootError = e;
    }
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
  });

  it("a login node without Workbench: the agent's units are enabled, and apply exits 1 naming the missing units, the package and `pwb-agent bake`", async () => {
    const c = box();
    await c.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "LoginNode", stack_name: "c1", region: "eu-west-1" } }));
    const r = await agent(c, "apply");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("lacks unit rstudio-launcher.service, unit rstudio-server.service (from rstudio-workbench): skipped workbench");
    expect(r.stderr).toContain("`pwb-agent bake`");
    expect((await c.exec(["systemctl", "is-enabled", "pwb-agent.service"])).stdout.trim()).toBe("enabled");
    expect((await c.exec(["systemctl", "is-active", "pwb-agent-doctor.timer"])).stdout.trim()).toBe("active");
    // The rest converged: the site file is in place; a second apply says the same and changes nothing else.
    const again = await agent(c, "apply");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("skipped workbench");
  }, 180_000);

  it("a head node without the rstudio-server account: exit 1 (not bad input), naming the account, the package and the fix", async () => {
    const c = box();
    await c.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "HeadNode", stack_name: "c1", region: "eu-west-1" } }));
    await c.writeFile("/etc/pwb-agent/database-password", "x\n");
    const r = await agent(c, "apply");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("lacks user rstudio-server, group rstudio-server (from rstudio-workbench): skipped workbench");
    expect(r.stderr).toContain("`pwb-agent bake`");
    expect((await c.exec(["systemctl", "is-enabled", "pwb-agent.service"])).stdout.trim()).toBe("enabled");
  }, 180_000);
});
