// The built single executable converges each role under a REAL systemd (systemd-nspawn, see
// helpers/nspawn.ts): `pwb-agent apply` on a live root installs, enables and starts its own units
// with the real systemctl, the ALB timer really fires on the head node, and a second apply is a no-op.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../helpers/cli.js";
import { Container, requireNspawn, uniqueMachineName } from "../helpers/nspawn.js";
import { type Run, findCommand, setting, shippedUnits, timespanUSec } from "../helpers/systemd.js";

const AGENT_UNIT = "pwb-agent.service";
const TIMER = "pwb-alb-sync.timer";
const TICK = "pwb-alb-sync.service";
const UNIT_DIR = "/usr/lib/systemd/system";
const DROP_IN = `/etc/systemd/system/${TIMER}.d/fast.conf`;
/** systemd's catalog id of "Starting <unit>..." (SD_MESSAGE_UNIT_STARTING): one per start job. */
const UNIT_STARTING = "7d4958e842da4a758f6c1cdc7b36dcc5";

const ROLES = [
  { role: "head", nodeType: "HeadNode", timerPreinstalled: false },
  // Fresh login node: the timer was never installed, so "keep it disabled and stopped" has to cope
  // with a unit systemd does not know at all.
  { role: "login", nodeType: "LoginNode", timerPreinstalled: false },
  // Compute node where a package (or an earlier role) left the timer enabled and running: apply
  // has to disable AND stop it, which a fresh node would never exercise.
  { role: "compute", nodeType: "ComputeFleet", timerPreinstalled: true },
] as const;

interface Report {
  changes: number;
  restarted: string[];
  filesWritten: number;
  daemonReloaded: boolean;
  applied: Array<{ id: string; action: string }>;
}

let agentBinary = "";
let analyze = "";
let units: Record<string, string> = {};
// Hooks only record errors and every test rethrows them (via box()): a throwing hook would mark
// the tests "skipped", and missing tools or a missing build must FAIL them with the fix.
let setupError: unknown = null;

beforeAll(async () => {
  try {
    requireNspawn();
    analyze = findCommand("systemd-analyze", "systemd");
    agentBinary = requireBuilt("dist/pwb-agent");
    units = await shippedUnits();
  } catch (e) {
    setupError = e;
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

async function show(c: Container, unit: string, prop: string): Promise<string> {
  return ok(await c.exec(["systemctl", "show", "--value", "-p", prop, unit]), `show ${prop} ${unit}`).stdout.trim();
}

/** `systemctl is-enabled|is-active` output ("" for a unit systemd has never heard of) and exit code. */
async function state(c: Container, verb: "is-enabled" | "is-active", unit: string): Promise<{ out: string; code: number }> {
  const r = await c.exec(["systemctl", verb, unit]);
  return { out: r.stdout.trim(), code: r.code };
}

async function activeTimers(c: Container): Promise<Array<{ unit: string; next: number; last: number }>> {
  return JSON.parse(ok(await c.exec(["systemctl", "list-timers", "--output=json", "--no-pager"]), "list-timers").stdout);
}

async function apply(c: Container): Promise<Report> {
  const r = ok(await c.exec(["/usr/bin/pwb-agent", "--json", "--no-imds", "apply"], 60_000), "pwb-agent apply");
  return JSON.parse(r.stdout) as Report;
}

/** Monotonic and wall-clock times (µs) of the start jobs of `unit` after `sinceMono`. */
async function startsSince(c: Container, unit: string, sinceMono: number): Promise<Array<{ mono: number; real: number }>> {
  const r = ok(await c.exec(["journalctl", "--no-pager", "-o", "json", `UNIT=${unit}`, `MESSAGE_ID=${UNIT_STARTING}`]), "journalctl");
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>)
    .map((e) => ({ mono: Number(e.__MONOTONIC_TIMESTAMP), real: Number(e.__REALTIME_TIMESTAMP) }))
    .filter((s) => s.mono > sinceMono);
}

/** `{ OnActiveUSec=5s ; next_elapse=... }` lines of TimersMonotonic, keyed by unit-file name (OnActiveSec). */
function monotonicTimers(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(On\w+)USec=([^ ;]+)/g)].map((m) => [`${m[1]}Sec`, m[2]!]));
}

describe.each(ROLES)("$role node under real systemd", ({ role, nodeType, timerPreinstalled }) => {
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
      c = await Container.boot({ name: uniqueMachineName(role), agentBinary });
      const dna = { cluster: { node_type: nodeType, stack_name: "c1", region: "eu-west-1" } };
      await c.writeFile("/etc/chef/dna.json", JSON.stringify(dna));
    } catch (e) {
      bootError = e;
    }
  });

  afterAll(async () => {
    await c?.stop();
  });

  it(`apply with the live systemctl: ${role === "head" ? "timer enabled and running" : "timer disabled and stopped"}`, async () => {
    const c = box();
    if (timerPreinstalled) {
      for (const u of [TICK, TIMER]) await c.writeFile(`${UNIT_DIR}/${u}`, units[u]!);
      ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
      ok(await c.exec(["systemctl", "enable", "--now", TIMER]), "enable --now");
      expect(await state(c, "is-active", TIMER)).toEqual({ out: "active", code: 0 }); // precondition
    }

    const report = await apply(c);
    expect(report.changes).toBeGreaterThan(0);
    expect(report.daemonReloaded).toBe(true);

    const mine = role === "head" ? [AGENT_UNIT, TICK, TIMER] : [AGENT_UNIT];
    for (const u of mine) {
      // The shipped bytes, where systemd loads them from (Debian lists /lib before /usr/lib: same files).
      expect(await c.readFile(`${UNIT_DIR}/${u}`)).toBe(units[u]);
      expect(await show(c, u, "LoadState")).toBe("loaded");
      expect(await show(c, u, "FragmentPath")).toMatch(new RegExp(`^(/usr)?/lib/systemd/system/${u.replaceAll(".", "\\.")}$`));
    }
    expect(await state(c, "is-enabled", AGENT_UNIT)).toEqual({ out: "enabled", code: 0 });
    // It *is* apply: enabled for the next boot, never started from within apply.
    expect((await state(c, "is-active", AGENT_UNIT)).out).toBe("inactive");

    const timers = (await activeTimers(c)).map((t) => t.unit);
    if (role === "head") {
      expect(await state(c, "is-enabled", TIMER)).toEqual({ out: "enabled", code: 0 });
      expect(await state(c, "is-active", TIMER)).toEqual({ out: "active", code: 0 });
      expect(timers).toContain(TIMER);
      // systemd runs the shipped schedule (compared as parsed time spans, not strings).
      const loaded = monotonicTimers(await show(c, TIMER, "TimersMonotonic"));
      const props: Record<string, string> = {
        RandomizedDelaySec: await show(c, TIMER, "RandomizedDelayUSec"),
        AccuracySec: await show(c, TIMER, "AccuracyUSec"),
      };
      for (const key of ["OnActiveSec", "OnUnitActiveSec", "RandomizedDelaySec", "AccuracySec"]) {
        const shipped = setting(units[TIMER]!, "Timer", key);
        if (shipped === undefined) continue;
        const live = loaded[key] ?? props[key];
        expect(live, `${TIMER} ${key} not loaded`).toBeDefined();
        expect(await timespanUSec(analyze, live!), `${key}: shipped ${shipped}, systemd has ${live}`).toBe(await timespanUSec(analyze, shipped));
      }
    } else {
      const enabled = await state(c, "is-enabled", TIMER);
      expect(enabled.code).not.toBe(0);
      // Preinstalled: the unit is known and disabled. Fresh: systemd has no such unit at all.
      expect(enabled.out).toBe(timerPreinstalled ? "disabled" : "");
      expect((await state(c, "is-active", TIMER)).code).not.toBe(0);
      expect(timers).not.toContain(TIMER);
    }
  });

  // Head-only tests are registered for the head node only (not "skipped" elsewhere: nothing to test).

  // An older agent (or a hand edit) left another schedule: the rewrite must reach the running timer.
  if (role === "head") it("a drifted timer file is rewritten, reloaded, and the timer restarted on the shipped schedule", async () => {
    const c = box();
    const file = `${UNIT_DIR}/${TIMER}`;
    const shippedPeriod = setting(units[TIMER]!, "Timer", "OnUnitActiveSec")!;
    await c.writeFile(file, units[TIMER]!.replace(/^OnUnitActiveSec=.*$/m, "OnUnitActiveSec=17min"));
    ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    expect(monotonicTimers(await show(c, TIMER, "TimersMonotonic")).OnUnitActiveSec).toBe("17min"); // precondition
    const before = await show(c, TIMER, "ActiveEnterTimestampMonotonic");

    const report = await apply(c);
    expect(report).toMatchObject({ changes: 1, filesWritten: 1, restarted: [TIMER], daemonReloaded: true });
    expect(await c.readFile(file)).toBe(units[TIMER]);
    const live = monotonicTimers(await show(c, TIMER, "TimersMonotonic")).OnUnitActiveSec!;
    expect(await timespanUSec(analyze, live)).toBe(await timespanUSec(analyze, shippedPeriod));
    expect(await show(c, TIMER, "ActiveEnterTimestampMonotonic")).not.toBe(before);
    expect(await state(c, "is-active", TIMER)).toEqual({ out: "active", code: 0 });
  });

  if (role === "head") it("the timer really starts its service, again and again (test drop-in: every 2 s)", async () => {
    const c = box();
    // An empty On*Sec= resets the WHOLE list of timers (every On*Sec= key), so reset once, then add
    // both: resetting before each key would drop OnActiveSec again and the timer would never elapse.
    await c.writeFile(DROP_IN, "[Timer]\nOnActiveSec=\nOnActiveSec=1s\nOnUnitActiveSec=2s\nRandomizedDelaySec=0\nAccuracySec=100ms\n");
    ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    ok(await c.exec(["systemctl", "restart", TIMER]), "restart timer");
    expect((await show(c, TIMER, "DropInPaths")).split(/\s+/)).toContain(DROP_IN);
    expect(monotonicTimers(await show(c, TIMER, "TimersMonotonic"))).toEqual({ OnActiveSec: "1s", OnUnitActiveSec: "2s" });

    const since = Number(await show(c, TIMER, "ActiveEnterTimestampMonotonic"));
    expect(since).toBeGreaterThan(0);
    let starts = await startsSince(c, TICK, since);
    for (const deadline = Date.now() + 15_000; starts.length < 2 && Date.now() < deadline; ) {
      await sleep(250);
      starts = await startsSince(c, TICK, since);
    }
    // Whether the tick itself succeeds is not this test's business, only that the timer started it.
    expect(starts.length, `starts of ${TICK} within 15 s of the timer's restart`).toBeGreaterThanOrEqual(2);
    // OnUnitActiveSec=2s counts from the previous start: anything closer was not this timer.
    expect(starts[1]!.mono - starts[0]!.mono).toBeGreaterThanOrEqual(1_900_000);
    const mine = (await activeTimers(c)).find((t) => t.unit === TIMER);
    expect(mine?.last, "list-timers LAST (the timer's own last trigger)").toBeGreaterThanOrEqual(starts[0]!.real - 1_000_000);
  });

  it("apply again: 0 changes, nothing written, nothing reloaded or restarted", async () => {
    const c = box();
    const timerSince = role === "head" ? await show(c, TIMER, "ActiveEnterTimestampMonotonic") : "";
    const report = await apply(c);
    expect(report).toMatchObject({ changes: 0, filesWritten: 0, restarted: [], daemonReloaded: false });
    if (role === "head") {
      // Same activation as before (the admin drop-in from the previous test is not drift either).
      expect(await show(c, TIMER, "ActiveEnterTimestampMonotonic")).toBe(timerSince);
      expect(await state(c, "is-active", TIMER)).toEqual({ out: "active", code: 0 });
    }
  });

  if (role === "head") it("a timer an administrator masked stays masked: apply warns and succeeds", async () => {
    const c = box();
    ok(await c.exec(["systemctl", "mask", "--now", TIMER]), "mask");
    const report = await apply(c);
    expect(report.changes).toBe(0);
    expect(await state(c, "is-enabled", TIMER)).toMatchObject({ out: "masked" });
    expect((await state(c, "is-active", TIMER)).code).not.toBe(0);
    ok(await c.exec(["systemctl", "unmask", TIMER]), "unmask");
    const handedBack = await apply(c);
    expect(handedBack.applied.map((a) => a.id)).toContain("service:pwb-alb-sync.timer");
    expect(await state(c, "is-active", TIMER)).toEqual({ out: "active", code: 0 });
  });

  it(`${AGENT_UNIT} runs apply under systemd, as it will at every boot`, async () => {
    const c = box();
    ok(await c.exec(["systemctl", "start", AGENT_UNIT], 60_000), `start ${AGENT_UNIT}`);
    // A failed Condition also "succeeds" without running anything: prove it ran.
    expect(await show(c, AGENT_UNIT, "ConditionResult")).toBe("yes");
    expect(Number(await show(c, AGENT_UNIT, "ExecMainStartTimestampMonotonic"))).toBeGreaterThan(0);
    expect(await show(c, AGENT_UNIT, "Result")).toBe("success");
    expect(await show(c, AGENT_UNIT, "ExecMainStatus")).toBe("0");
    const log = ok(await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", AGENT_UNIT]), "journalctl").stdout;
    expect(log).toMatch(/"changes":0,.*"msg":"apply finished"/);
  });
});
