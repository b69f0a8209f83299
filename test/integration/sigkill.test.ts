import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_UNITS } from "../../agent/components/units/index.js";
import { VENDOR_UNIT_DIR as UNIT_DIR } from "../../agent/engine/systemd.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { KILL_FILES, killTestContent } from "../fixtures/kill-resources.js";
import { requireBuilt } from "../helpers/cli.js";
import { tempDir } from "../helpers/engine.js";

const KILLS = 50;

function runKilled(argv: string[], killAfterMs: number | null): Promise<{ killed: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("exit", (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === "SIGKILL", stdout, stderr });
    });
  });
}

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) out.push(path.join(e.parentPath, e.name));
  return out;
}

describe("SIGKILL during apply", () => {
  let driver = "";
  beforeAll(async () => {
    driver = path.join(await tempDir("pwb-kill-driver-"), "kill-driver.cjs");
    await build({
      entryPoints: [path.resolve("test/fixtures/kill-driver.ts")],
      bundle: true, platform: "node", target: "node20", format: "cjs", outfile: driver, logLevel: "error",
    });
  });

  it(`leaves every file whole (old or new) across ${KILLS} kills at random points, and the next apply converges`, async () => {
    const dir = await tempDir("pwb-kill-");
    const fileDir = path.join(dir, "etc/pwb-kill");

    // Time one uninterrupted rewrite (gen 0 → 1) so the kill points spread over a whole run.
    await runKilled([driver, dir, "0"], null);
    const t0 = performance.now();
    await runKilled([driver, dir, "1"], null);
    const fullRunMs = performance.now() - t0;

    let midApply = 0;
    for (let k = 0; k < KILLS; k++) {
      const gen = k % 2; // alternate, so every run rewrites every file
      const at = Math.random() * fullRunMs * 1.1;
      await runKilled([driver, dir, String(gen)], at);
      const gens = new Set<number>();
      for (let i = 0; i < KILL_FILES; i++) {
        const text = await fs.readFile(path.join(fileDir, `f${String(i).padStart(2, "0")}.conf`), "utf8");
        const whole = [0, 1].find((g) => text === killTestContent(g, i));
        expect(whole, `file ${i} torn after kill ${k} at ${at.toFixed(0)} ms`).not.toBeUndefined();
        gens.add(whole!);
      }
      if (gens.size === 2) midApply++;
    }
    // Kills must really have landed while files were being replaced.
    expect(midApply).toBeGreaterThan(0);

    const final = await runKilled([driver, dir, "0"], null);
    expect(final.stderr).toBe("");
    const converge = JSON.parse(final.stdout) as { changes: number };
    expect(converge.changes).toBeGreaterThanOrEqual(0);
    const again = JSON.parse((await runKilled([driver, dir, "0"], null)).stdout) as { changes: number; bytesWritten: number };
    expect(again).toMatchObject({ changes: 0, bytesWritten: 0 });
    const leftovers = (await listAll(dir)).filter((p) => p.includes(".pwb-tmp-") || p.endsWith("apply.lock"));
    expect(leftovers).toEqual([]);
    console.log(`sigkill: ${KILLS} kills over a ${fullRunMs.toFixed(0)} ms run, ${midApply} landed mid-apply`);
  }, 180_000);

  it("kills the real CLI mid-apply 10 times: unit files are absent or whole, then apply converges", async () => {
    const bundle = requireBuilt("dist/pwb-agent.cjs");
    const dir = await tempDir("pwb-kill-cli-");
    await writeSimulatedNode(dir, { role: "head" });
    const args = [bundle, "--root", dir, "--no-imds", "--quiet", "--json", "apply"];
    for (let k = 0; k < 10; k++) {
      await runKilled(args, 30 + Math.random() * 150);
      for (const [name, text] of Object.entries(EMBEDDED_UNITS)) {
        const got = await fs.readFile(path.join(dir, UNIT_DIR, name), "utf8").catch(() => null);
        if (got !== null) expect(got, `${name} torn`).toBe(text);
      }
    }
    await runKilled(args, null);
    const again = JSON.parse((await runKilled(args, null)).stdout) as { changes: number; filesWritten: number };
    expect(again).toMatchObject({ changes: 0, filesWritten: 0 });
  }, 120_000);
});
