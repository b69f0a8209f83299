// `systemd-analyze security --offline=true` on every shipped service: the exposure each one is held
// to, and what the sandboxed ones may write, derived from the paths the code writes. The check can
// fail: the sync unit with its sandbox taken out scores far above its limit. That the sandboxed units
// still do their job under a booted systemd: test/integration/units-sandbox-nspawn.test.ts,
// alb-self-nspawn.test.ts and alb-ensure-nspawn.test.ts.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_PATH, STATE_PATH } from "../../agent/alb/sync/state.js";
import { DEBIAN_TEXTFILE_DIR, UPSTREAM_TEXTFILE_DIR } from "../../agent/metrics/textfile-dir.js";
import { UNITS_DIR, findCommand, run, setting, shippedUnits, unitSettings } from "../helpers/systemd.js";

/** The most each unit may score (0 = fully locked down, 10 = nothing restricted). */
const LIMITS: Record<string, number> = {
  "pwb-alb-sync.service": 2.5,
  "pwb-alb-ensure.service": 2.5,
  "pwb-alb-self.service": 2.5,
  // As low as its checks allow (the unit says why not lower): apptainer as root, GPUs, storage probes.
  "pwb-agent-doctor.service": 4.6,
};
const UNSANDBOXED = "pwb-agent.service";

const scratch = fs.mkdtemp(path.join(os.tmpdir(), "pwb-security-"));
afterAll(async () => fs.rm(await scratch, { recursive: true, force: true }));

async function exposure(name: string, text?: string): Promise<{ score: number; output: string }> {
  const analyze = findCommand("systemd-analyze", "systemd");
  let file = path.join(UNITS_DIR, name);
  if (text !== undefined) {
    file = path.join(await scratch, name);
    await fs.writeFile(file, text);
  }
  const r = await run([analyze, "security", "--offline=true", "--no-pager", file]);
  const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.stdout);
  if (!m) throw new Error(`systemd-analyze security ${name} printed no exposure (exit ${r.code}): ${r.stderr}`);
  return { score: Number(m[1]), output: r.stdout };
}

describe("systemd-analyze security of the shipped units", () => {
  it("every shipped service has a limit here, or is the one unit that says why it is not sandboxed", async () => {
    const services = Object.keys(await shippedUnits()).filter((n) => n.endsWith(".service")).sort();
    expect(services).toEqual([...Object.keys(LIMITS), UNSANDBOXED].sort());
  });

  it.each(Object.entries(LIMITS))("%s: exposure at most %s", async (name, limit) => {
    const { score, output } = await exposure(name);
    expect(score, output).toBeLessThanOrEqual(limit);
    // The figure the unit's comment states is the one systemd computes.
    const text = (await shippedUnits())[name]!;
    expect(text).toContain(`(systemd-analyze security: ${score.toFixed(1)})`);
  });

  it(`${UNSANDBOXED} says in the unit why it is not sandboxed`, async () => {
    const text = (await shippedUnits())[UNSANDBOXED]!;
    expect(text).toMatch(/^# Not sandboxed \(systemd-analyze security: \d\.\d/m);
    expect(text).toContain(`(systemd-analyze security: ${(await exposure(UNSANDBOXED)).score.toFixed(1)}`);
  });

  it("the check can fail: pwb-alb-sync.service without its sandbox scores above its limit", async () => {
    const text = (await shippedUnits())["pwb-alb-sync.service"]!;
    const sandbox = /^(CapabilityBoundingSet|ProtectSystem|SystemCallFilter|RestrictAddressFamilies|PrivateDevices|ProtectKernel\w+)=.*\n/gm;
    expect(text).toMatch(sandbox);
    const { score } = await exposure("pwb-alb-sync.service", text.replace(sandbox, ""));
    expect(score).toBeGreaterThan(LIMITS["pwb-alb-sync.service"]!);
  });
});

describe("what the sandboxed units may write", () => {
  const writable = (text: string) => {
    const s = unitSettings(text).filter((x) => x.section === "Service");
    const values = (key: string) => s.filter((x) => x.key === key).flatMap((x) => x.value.split(/\s+/)).filter(Boolean);
    return [
      ...values("StateDirectory").map((d) => `/var/lib/${d}`),
      ...values("RuntimeDirectory").map((d) => `/run/${d}`),
      ...values("ReadWritePaths").map((d) => d.replace(/^-/, "")),
    ].sort();
  };

  it("pwb-alb-sync.service: exactly the directories of its state, its lock (agent/alb/sync/state.ts) and the textfile directories the exporters read (agent/metrics/textfile-dir.ts)", async () => {
    const text = (await shippedUnits())["pwb-alb-sync.service"]!;
    expect(setting(text, "Service", "ProtectSystem")).toBe("strict");
    expect(writable(text)).toEqual([...[STATE_PATH, LOCK_PATH].map((p) => path.posix.dirname(p)), DEBIAN_TEXTFILE_DIR, UPSTREAM_TEXTFILE_DIR].sort());
  });

  it("pwb-alb-ensure.service and pwb-alb-self.service: nothing", async () => {
    const units = await shippedUnits();
    for (const name of ["pwb-alb-ensure.service", "pwb-alb-self.service"]) {
      expect([name, setting(units[name]!, "Service", "ProtectSystem")]).toEqual([name, "strict"]);
      expect([name, writable(units[name]!)]).toEqual([name, []]);
    }
  });

  it("no hardened unit sets MemoryDenyWriteExecute (Node's JIT; shown under systemd in units-sandbox-nspawn.test.ts)", async () => {
    const units = await shippedUnits();
    for (const name of Object.keys(LIMITS)) expect([name, setting(units[name]!, "Service", "MemoryDenyWriteExecute")]).toEqual([name, undefined]);
  });
});
