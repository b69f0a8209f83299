import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ALB_SYNC_FRESH_S, checkAlbSyncFresh } from "../../agent/node/doctor/agent-state.js";
import { Root } from "../../agent/nodefs/root.js";
import { tempDir } from "../helpers/engine.js";

// The timer ticks every 25 s with up to 2 s of randomized delay (units/pwb-alb-sync.timer); the doctor
// calls alb-sync stale after three such ticks. Written out here, not imported, so that moving the
// window in the code fails this test rather than moving the test with it.
const TICK_MS = (25 + 2) * 1000;
const WINDOW_MS = 3 * TICK_MS;
const NOW = 1_800_000_000_000;

async function withState(state: unknown): Promise<Root> {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, "var/lib/pwb-agent"), { recursive: true });
  await fs.writeFile(path.join(dir, "var/lib/pwb-agent/alb-sync.json"), typeof state === "string" ? state : JSON.stringify(state));
  return new Root(dir);
}

describe("doctor: alb-sync freshness at its boundary", () => {
  it("the window is three ticks of 27 s", () => {
    expect(ALB_SYNC_FRESH_S * 1000).toBe(WINDOW_MS);
  });

  it("a success exactly three ticks old passes", async () => {
    const r = await checkAlbSyncFresh(await withState({ lastSuccess: NOW - WINDOW_MS, consecutiveFailures: 0 }), NOW);
    expect(r).toEqual({ status: "ok", detail: "last success 81 s ago" });
  });

  it("one millisecond over three ticks fails, and says three ticks", async () => {
    const r = await checkAlbSyncFresh(await withState({ lastSuccess: NOW - WINDOW_MS - 1, consecutiveFailures: 0 }), NOW);
    expect(r.status).toBe("fail");
    expect(r.detail).toBe("last success 81 s ago (more than 3 ticks)");
  });

  it("a stale success names the failed ticks since; a fresh one passes whatever failed before", async () => {
    const stale = await checkAlbSyncFresh(await withState({ lastSuccess: NOW - 4 * TICK_MS, consecutiveFailures: 4 }), NOW);
    expect(stale.detail).toBe("last success 108 s ago (more than 3 ticks), 4 failed tick(s) since");
    const fresh = await checkAlbSyncFresh(await withState({ lastSuccess: NOW - 1000, consecutiveFailures: 2 }), NOW);
    expect(fresh).toEqual({ status: "ok", detail: "last success 1 s ago" });
  });

  it("ages read in the unit that fits: seconds below 2 min, minutes below 2 h, hours beyond", async () => {
    const detail = async (ageS: number) => (await checkAlbSyncFresh(await withState({ lastSuccess: NOW - ageS * 1000 }), NOW)).detail;
    expect(await detail(119)).toBe("last success 119 s ago (more than 3 ticks)");
    expect(await detail(120)).toBe("last success 2 min ago (more than 3 ticks)");
    expect(await detail(7199)).toBe("last success 120 min ago (more than 3 ticks)");
    expect(await detail(7200)).toBe("last success 2 h ago (more than 3 ticks)");
  });

  it("no state file, bad JSON and no success yet each fail with their own reason", async () => {
    const empty = new Root(await tempDir());
    expect((await checkAlbSyncFresh(empty, NOW)).detail).toBe("/var/lib/pwb-agent/alb-sync.json is missing: alb-sync never ran");
    expect((await checkAlbSyncFresh(await withState("{"), NOW)).detail).toBe("/var/lib/pwb-agent/alb-sync.json is not valid JSON");
    expect((await checkAlbSyncFresh(await withState({ consecutiveFailures: 5 }), NOW)).detail).toBe("alb-sync never succeeded (5 failed tick(s))");
    expect((await checkAlbSyncFresh(await withState({ lastSuccess: "soon" }), NOW)).detail).toBe("alb-sync never succeeded");
    const r = await checkAlbSyncFresh(empty, NOW);
    expect(r.status).toBe("fail");
    expect(r.fix).toContain("systemctl status pwb-alb-sync.timer");
  });
});
