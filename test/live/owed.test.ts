// Owed work on live nodes of the test image (real systemd as PID 1, the agent installed from its own
// .deb, root /): a restart that a failed, killed or rebooted apply owed is settled by the next one, and
// a login node whose image lacks Workbench converges the agent's own units and names the fix.
// Workbench's services are stand-ins (tiny units named rstudio-launcher/rstudio-server that sleep).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedDnaJson } from "../../agent/simulation/node.js";
import { agentDeb } from "../helpers/agent-deb.js";
import { LiveCluster, type LiveNode } from "../helpers/live-node.js";
import type { Run } from "../helpers/systemd.js";
// @ts-expect-error: a plain .mjs script (also a CLI) without type declarations
import { ensureImage } from "./image.mjs";
import { SERVER, LAUNCHER, SITE, FAIL_ONCE, HOLD, standIn, site } from "../helpers/owed-stand-ins.js";

const OWED = "/var/lib/pwb-agent/owed.json";

const dna = (name: string) => simulatedDnaJson({ role: "login", clusterName: "pwb-live", pool: name, os: "ubuntu2404", headNodeIp: "10.89.0.10" });

let cluster: LiveCluster | null = null;
let login: LiveNode;
let bare: LiveNode;

/** Boots a login node with a site (and the stand-ins when `workbench`), and installs the agent's .deb. */
async function bootLogin(name: string, deb: string, workbench: boolean): Promise<LiveNode> {
  const files: Record<string, string> = { "/etc/chef/dna.json": dna(name), [SITE]: site(0) };
  if (workbench) for (const u of [LAUNCHER, SERVER]) files[`/etc/systemd/system/${u}`] = standIn(u);
  const node = await cluster!.boot({ name, files, bootTimeoutMs: 180_000 });
  await node.copyIn(deb, `/root/${path.basename(deb)}`);
  await node.must(["dpkg", "-i", `/root/${path.basename(deb)}`], { timeoutMs: 180_000 });
  return node;
}

beforeAll(async () => {
  const image = await ensureImage();
  const deb = await agentDeb();
  cluster = new LiveCluster(image.root);
  const t0 = performance.now();
  [login, bare] = await Promise.all([bootLogin("login1", deb.deb, true), bootLogin("login2", deb.deb, false)]);
  console.log(`live owed: image ${image.cached ? "cached" : "built"}, deb ${deb.cached ? "cached" : "packaged"}; two nodes booted and installed in ${Math.round(performance.now() - t0)} ms`);
  await login.must(["systemctl", "start", LAUNCHER, SERVER]);
}, 900_000);

afterAll(async () => {
  await cluster?.remove();
});

const agent = (n: LiveNode, args: string[]) => n.exec(["pwb-agent", ...args], { timeoutMs: 180_000 });

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const show = async (n: LiveNode, unit: string, prop: string) => ok(await n.exec(["systemctl", "show", "--value", "-p", prop, unit]), `show ${prop} ${unit}`).stdout.trim();
const invocation = (n: LiveNode, unit: string) => show(n, unit, "InvocationID");
/** The units owed.json lists ([] when the file is absent, as on a converged node). */
async function owedUnits(n: LiveNode): Promise<string[]> {
  const text = await n.readFile(OWED).catch(() => null);
  return text === null ? [] : (JSON.parse(text) as { restarts: Array<{ unit: string }> }).restarts.map((r) => r.unit);
}

interface Report { restarted: string[]; notRestarted: Array<{ unit: string; why: string }>; changes: number }
async function applyJson(n: LiveNode, expectCode: number): Promise<{ r: Run; report: Report | null }> {
  const r = await agent(n, ["--json", "apply"]);
  expect(r.code, `apply: ${r.stdout}\n${r.stderr}`).toBe(expectCode);
  return { r, report: r.code === 0 ? (JSON.parse(r.stdout) as Report) : null };
}

let gen = 0;
const nextSite = (n: LiveNode) => n.writeFile(SITE, site(++gen));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, f: () => Promise<boolean>, ms = 120_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await f()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Makes the server's next start fail once, changes the site, and runs the apply that leaves its restart owed. */
async function failServerRestart(n: LiveNode): Promise<Run> {
  await n.writeFile(`${FAIL_ONCE}.${SERVER}`, "");
  await nextSite(n);
  const { r } = await applyJson(n, 1);
  expect(await owedUnits(n)).toEqual([SERVER]);
  return r;
}

describe("owed restarts on a live login node (the .deb installed, stand-in Workbench services)", () => {
  it("the first apply converges the site: the stand-ins enabled and restarted, nothing owed", async () => {
    const before = await invocation(login, SERVER);
    const { report } = await applyJson(login, 0);
    expect(report!.restarted).toEqual(expect.arrayContaining([LAUNCHER, SERVER]));
    expect(await invocation(login, SERVER)).not.toBe(before);
    for (const u of ["pwb-agent.service", SERVER, LAUNCHER]) expect((await login.exec(["systemctl", "is-enabled", u])).stdout.trim(), u).toBe("enabled");
    expect(await owedUnits(login)).toEqual([]);
    expect((await agent(login, ["plan"])).code).toBe(0);
  }, 300_000);

  it("a transient try-restart failure: apply exits 1 naming the unit, plan exits 10 and doctor fails agent.owed; the next apply restarts it", async () => {
    const before = await invocation(login, SERVER);
    const r = await failServerRestart(login);
    expect(r.stderr).toMatch(/systemctl try-restart rstudio-server\.service failed/);
    expect(r.stderr).toContain("stand-in rstudio-server.service: failing this start once");
    const plan = await agent(login, ["plan"]);
    expect(plan.code, plan.stderr).toBe(10);
    expect(plan.stdout).toMatch(/^! restart rstudio-server\.service {2}\(restart\)$/m);
    const doctor = await agent(login, ["--json", "doctor"]);
    const check = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; detail: string; fix?: string }> }).checks.find((x) => x.id === "agent.owed");
    expect(check).toMatchObject({ status: "fail", detail: expect.stringContaining(SERVER), fix: expect.stringContaining("pwb-agent apply") });

    const { report } = await applyJson(login, 0);
    expect(report!.changes).toBe(0);
    expect(report!.restarted).toEqual([SERVER]);
    expect((await login.exec(["systemctl", "is-active", SERVER])).stdout.trim()).toBe("active");
    expect(await invocation(login, SERVER)).not.toBe(before);
    expect(await owedUnits(login)).toEqual([]);
    expect((await agent(login, ["plan"])).code).toBe(0);
  }, 300_000);

  it("a SIGKILL of the apply between the write and the restart it owes: the next apply restarts the server", async () => {
    const unit = "pwb-test-apply.service";
    await login.writeFile(`${HOLD}.${LAUNCHER}`, "");
    try {
      const server = await invocation(login, SERVER);
      await nextSite(login);
      // A transient unit, so systemd both runs the apply and kills it; the launcher restarts first and waits on the hold.
      ok(await login.exec(["systemd-run", "--no-block", `--unit=${unit}`, "-p", "Type=oneshot", "/usr/bin/pwb-agent", "apply"]), "systemd-run apply");
      await waitFor("the launcher's restart to be held", async () => (await show(login, LAUNCHER, "ActiveState")) === "activating");
      ok(await login.exec(["systemctl", "kill", "--signal=SIGKILL", unit]), "SIGKILL the apply");
      await waitFor("the apply to end", async () => ["inactive", "failed"].includes(await show(login, unit, "ActiveState")));
      expect(await show(login, unit, "Result")).toBe("signal");
      expect(await invocation(login, SERVER)).toBe(server);
      expect(await owedUnits(login)).toEqual(expect.arrayContaining([SERVER]));
      await login.exec(["rm", "-f", `${HOLD}.${LAUNCHER}`]);
      await waitFor("the launcher to run", async () => (await show(login, LAUNCHER, "ActiveState")) === "active");

      const { report } = await applyJson(login, 0);
      expect(report!.changes).toBe(0);
      expect(report!.restarted).toEqual([SERVER]);
      expect(await invocation(login, SERVER)).not.toBe(server);
      expect(await owedUnits(login)).toEqual([]);
    } finally {
      await login.exec(["rm", "-f", `${HOLD}.${LAUNCHER}`]);
      await login.exec(["systemctl", "reset-failed", unit]);
    }
  }, 300_000);

  it("a reboot between the write and the restart: owed.json survives it, the server starts fresh at boot, and the next apply settles the debt without restarting it", async () => {
    const before = await invocation(login, SERVER);
    await failServerRestart(login);
    expect((await login.exec(["systemctl", "is-active", SERVER])).stdout.trim()).not.toBe("active");
    await login.stop();
    // Powered off: the node's layer still holds the record of what is owed.
    expect(await owedUnits(login)).toEqual([SERVER]);
    await login.start();
    // Enabled, the server starts at boot, after pwb-agent.service, with the new configuration.
    await waitFor("the server to run after boot", async () => (await show(login, SERVER, "ActiveState")) === "active");
    const fresh = await invocation(login, SERVER);
    // The boot's own apply (pwb-agent.service) read the record and queued the server's start behind itself.
    const journal = ok(await login.exec(["journalctl", "-b", "--no-pager", "-o", "cat", "-u", "pwb-agent.service"]), "journal").stdout;
    expect(journal).toContain("Not restarted: rstudio-server.service (restart queued");
    expect(fresh).not.toBe(before);
    // owed.ts: a running service whose InvocationID changed since the record runs the new configuration: settled, not restarted.
    const r = ok(await agent(login, ["apply"]), "apply after the reboot");
    expect(r.stdout).not.toMatch(/^Restarted: .*rstudio-server/m);
    expect(r.stdout).toContain("Not restarted: rstudio-server.service (started again since the change (a reboot or a restart): it runs the new configuration)");
    expect(await invocation(login, SERVER)).toBe(fresh);
    expect(await owedUnits(login)).toEqual([]);
    const plan = await agent(login, ["plan"]);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
  }, 420_000);
});

describe("a live login node whose image lacks Workbench", () => {
  it("apply exits 1 naming the missing units and `pwb-agent bake`, and the agent's own units are enabled so a later boot retries", async () => {
    const r = await agent(bare, ["apply"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stderr).toContain("lacks unit rstudio-launcher.service, unit rstudio-server.service (from rstudio-workbench): skipped workbench");
    expect(r.stderr).toContain("`pwb-agent bake`");
    for (const u of ["pwb-agent.service", "pwb-agent-doctor.timer"]) expect((await bare.exec(["systemctl", "is-enabled", u])).stdout.trim(), u).toBe("enabled");
    expect((await bare.exec(["systemctl", "is-active", "pwb-agent-doctor.timer"])).stdout.trim()).toBe("active");
  }, 300_000);
});
