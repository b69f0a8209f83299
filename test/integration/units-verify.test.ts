// `systemd-analyze verify` on every unit in units/, under a throwaway root (see makeVerifyRoot),
// and proof that the check can fail: broken variants of our own units must be reported.
// Verify exits 0 on unknown keys and unparsable values (it only warns and ignores the line), so
// "clean" means exit 0 AND empty stderr.
import { existsSync, promises as fs, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  UNITS_DIR,
  UNIT_INSTALL_DIR,
  UNIT_SUFFIX,
  findCommand,
  makeVerifyRoot,
  run,
  setting,
  shippedUnits,
  timespanUSec,
  unitSettings,
  verify,
} from "../helpers/systemd.js";

// Enumerated at collection time so every unit gets its own named test.
const NAMES = readdirSync(UNITS_DIR).filter((n) => UNIT_SUFFIX.test(n)).sort();

// Time-span keys systemd parses with parse_sec(); a typo in any of them is silently ignored at runtime.
const TIMESPAN_KEYS: Record<string, string[]> = {
  Timer: ["OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec", "RandomizedDelaySec", "AccuracySec"],
  Service: ["TimeoutSec", "TimeoutStartSec", "TimeoutStopSec", "RuntimeMaxSec", "RestartSec", "WatchdogSec"],
};

let analyze = "";
let units: Record<string, string> = {};
const roots: string[] = [];

async function rootWith(overrides: Record<string, string> = {}, opts: { agentMode?: number } = {}): Promise<string> {
  const root = await makeVerifyRoot({ ...units, ...overrides }, opts);
  roots.push(root);
  return root;
}

// Each test awaits this instead of a beforeAll: a throwing hook would mark the tests "skipped",
// and a missing systemd-analyze must FAIL every test with the install hint.
let ready: Promise<void> | undefined;
function setup(): Promise<void> {
  ready ??= (async () => {
    analyze = findCommand("systemd-analyze", "systemd");
    units = await shippedUnits();
  })();
  return ready;
}

afterAll(async () => {
  await Promise.all(roots.map((r) => fs.rm(r, { recursive: true, force: true })));
});

describe("shipped units pass systemd-analyze verify", () => {
  it("units/ holds the three units the agent installs (the enumeration is not empty)", async () => {
    await setup();
    expect(NAMES).toEqual(expect.arrayContaining(["pwb-agent.service", "pwb-alb-sync.service", "pwb-alb-sync.timer"]));
  });

  it.each(NAMES)("%s: exit 0 and no warnings", async (name) => {
    await setup();
    const r = await verify(analyze, await rootWith(), [name]);
    expect(r.stderr, `systemd-analyze verify ${name} warned`).toBe("");
    expect(r.code).toBe(0);
  });

  it("all units together: exit 0 and no warnings (the timer resolves its service)", async () => {
    await setup();
    const r = await verify(analyze, await rootWith(), NAMES);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  // Verify ignores [Install] and a timer's missing service: check those references ourselves.
  it("every WantedBy=/RequiredBy= target exists on a stock systemd", async () => {
    await setup();
    const root = await rootWith();
    for (const [name, text] of Object.entries(units)) {
      for (const s of unitSettings(text).filter((s) => s.section === "Install" && /^(WantedBy|RequiredBy)$/.test(s.key))) {
        for (const target of s.value.split(/\s+/)) {
          // Posit's package ships rstudio-server.service on every node that runs pwb-alb-self.service.
          if (target === "rstudio-server.service" && name === "pwb-alb-self.service") continue;
          expect(existsSync(path.join(root, UNIT_INSTALL_DIR, target)), `${name}: ${s.key}=${target} names no unit`).toBe(true);
        }
      }
    }
  });

  it("every timer activates a unit shipped next to it", async () => {
    await setup();
    const timers = NAMES.filter((n) => n.endsWith(".timer"));
    expect(timers.length).toBeGreaterThan(0);
    for (const t of timers) {
      const target = setting(units[t]!, "Timer", "Unit") ?? t.replace(/\.timer$/, ".service");
      expect(NAMES, `${t} activates ${target}`).toContain(target);
    }
  });
});

describe("time values, as systemd itself parses them", () => {
  it("systemd-analyze timespan rejects garbage (so an accepted value means something)", async () => {
    await setup();
    expect(await timespanUSec(analyze, "30x")).toBeNull();
    expect(await timespanUSec(analyze, "30s")).toBe(30_000_000);
  });

  it("every time-span and calendar value in every unit parses", async () => {
    await setup();
    let checked = 0;
    for (const [name, text] of Object.entries(units)) {
      for (const s of unitSettings(text)) {
        if (TIMESPAN_KEYS[s.section]?.includes(s.key) && s.value !== "infinity") {
          expect(await timespanUSec(analyze, s.value), `${name}: ${s.key}=${s.value}`).not.toBeNull();
          checked++;
        }
        if (s.section === "Timer" && s.key === "OnCalendar") {
          const r = await run([analyze, "calendar", s.value]);
          expect(r.code, `${name}: OnCalendar=${s.value}: ${r.stderr}`).toBe(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  // The service comment says "a tick must end before the next one is due": a tick that outlives
  // the period would make the timer skip ticks (systemd never starts an active oneshot twice).
  it("a timer's period is longer than its service's start timeout", async () => {
    await setup();
    for (const t of NAMES.filter((n) => n.endsWith(".timer"))) {
      const svc = setting(units[t]!, "Timer", "Unit") ?? t.replace(/\.timer$/, ".service");
      const period = setting(units[t]!, "Timer", "OnUnitActiveSec");
      const timeout = setting(units[svc]!, "Service", "TimeoutStartSec");
      if (!period || !timeout) continue;
      const periodUs = await timespanUSec(analyze, period);
      const timeoutUs = await timespanUSec(analyze, timeout);
      expect(timeoutUs!, `${svc} TimeoutStartSec=${timeout} vs ${t} OnUnitActiveSec=${period}`).toBeLessThan(periodUs!);
    }
  });
});

interface Broken {
  what: string;
  unit: string;
  from: RegExp;
  to: string;
  /** What verify must say about it. */
  says: RegExp;
}

const BROKEN: Broken[] = [
  { what: "misspelled key", unit: "pwb-agent.service", from: /^Description=/m, to: "Descriptio=", says: /Unknown key '?Descriptio'?/ },
  { what: "bad timer value", unit: "pwb-alb-sync.timer", from: /^OnUnitActiveSec=.*$/m, to: "OnUnitActiveSec=30x", says: /Failed to parse.*30x/ },
  { what: "bad RandomizedDelaySec", unit: "pwb-alb-sync.timer", from: /^RandomizedDelaySec=.*$/m, to: "RandomizedDelaySec=abc", says: /Failed to parse.*abc/ },
  {
    what: "ExecStart binary that does not exist",
    unit: "pwb-alb-sync.service",
    from: /^ExecStart=\/usr\/bin\/pwb-agent /m,
    to: "ExecStart=/usr/bin/pwb-agnet ",
    says: /\/usr\/bin\/pwb-agnet is not executable: No such file or directory/,
  },
  { what: "misspelled Type", unit: "pwb-agent.service", from: /^Type=oneshot$/m, to: "Type=oneshoot", says: /Failed to parse service type.*oneshoot/ },
  { what: "misspelled section", unit: "pwb-alb-sync.timer", from: /^\[Timer\]$/m, to: "[Timr]", says: /Unknown section 'Timr'/ },
];

describe("verify catches broken variants of our own units", () => {
  it.each(BROKEN)("$what in $unit", async ({ unit, from, to, says }) => {
    await setup();
    const original = units[unit]!;
    expect(original, `${unit} no longer has ${from}: update this case`).toMatch(from);
    const broken = original.replace(from, to);
    const r = await verify(analyze, await rootWith({ [unit]: broken }), [unit]);
    expect(r.code !== 0 || r.stderr !== "", "verify accepted a broken unit silently").toBe(true);
    expect(r.stderr).toMatch(says);
  });

  it("an ExecStart binary that is not executable (why the verify root needs an executable stand-in)", async () => {
    await setup();
    const r = await verify(analyze, await rootWith({}, { agentMode: 0o644 }), ["pwb-agent.service"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\/usr\/bin\/pwb-agent is not executable: Permission denied/);
  });
});
