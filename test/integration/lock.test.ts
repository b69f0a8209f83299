// The apply lock as an unlucky admin meets it: no /proc, a SIGKILLed holder nobody reaps, a stale
// PID file and breaker of a live process, concurrent real applies generating keys.
import { spawn, spawnSync } from "node:child_process";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { acquireLock, LOCK_PATH } from "../../agent/engine/lock.js";
import { Root } from "../../agent/nodefs/root.js";
import { requireBuilt } from "../helpers/cli.js";
import { tempDir } from "../helpers/engine.js";
import { simCluster } from "../helpers/workbench.js";

let holder = "";
beforeAll(async () => {
  holder = path.join(await tempDir("pwb-lock-holder-"), "lock-holder.cjs");
  await build({
    entryPoints: [path.resolve("test/fixtures/lock-holder.ts")],
    bundle: true, platform: "node", target: "node20", format: "cjs", outfile: holder, logLevel: "error",
  });
});

/** Runs `argv` to the end; resolves with its exit code and stderr. */
function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function intervals(log: string): Promise<[number, number][]> {
  const text = await fs.readFile(log, "utf8");
  return text.trim().split("\n").map((l) => l.split(" ").map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
}

function expectNoOverlap(spans: [number, number][]): void {
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0], `hold ${i} began before hold ${i - 1} ended`).toBeGreaterThanOrEqual(spans[i - 1]![1]);
}

const requireUnshare = () => {
  const r = spawnSync("unshare", ["--version"]);
  if (r.status !== 0) throw new Error("`unshare` is missing: apt-get install util-linux (and run the tests as root)");
};

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("apply lock", () => {
  it("serialises 6 concurrent holders with /proc and 6 without (an empty tmpfs on /proc)", async () => {
    requireUnshare();
    for (const hideProc of [true, false]) {
      const dir = await tempDir("pwb-lock-");
      const log = path.join(dir, "holds.log");
      const holders = Array.from({ length: 6 }, () => {
        const argv = [process.execPath, holder, dir, log, "150"];
        // A private mount namespace whose /proc is empty: no process looks alive through it.
        return hideProc ? run(["unshare", "--mount", "--propagation", "private", "sh", "-c", 'mount -t tmpfs none /proc && [ ! -e /proc/self ] && exec "$@"', "sh", ...argv]) : run(argv);
      });
      const results = await Promise.all(holders);
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
      const spans = await intervals(log);
      expect(spans).toHaveLength(6);
      expectNoOverlap(spans);
      expect(await fs.readdir(dir)).not.toContain("run"); // the PID file and its directory went with the last holder
    }
  }, 60_000);

  it("is free the moment a SIGKILLed holder dies, though its parent never reaps it (a zombie)", async () => {
    const dir = await tempDir("pwb-lock-zombie-");
    const log = path.join(dir, "holds.log");
    // `exec sleep` replaces the shell: the holder's parent is now a process that never calls wait().
    const parent = spawn("sh", ["-c", 'node "$0" "$1" "$2" 60000 & echo $!; exec sleep 60', holder, dir, log], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout.once("data", (b: Buffer) => r(b.toString()))));
      await waitFor(async () => (await fs.readdir(dir)).includes(`holds.log.held.${pid}`), 10_000);
      expect(await fs.readFile(path.join(dir, LOCK_PATH), "utf8")).toBe(`${pid}\n`);
      process.kill(pid, "SIGKILL");
      await waitFor(async () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z"), 5_000);
      const t0 = Date.now();
      // A long timeout, and a bound far under it: proves the dead holder is seen, not waited out,
      // with room for a loaded machine's scheduling.
      const lock = await acquireLock(new Root(dir), LOCK_PATH, 30_000);
      const waited = Date.now() - t0;
      await lock.release();
      expect(waited).toBeLessThan(10_000);
      console.log(`lock: taken ${waited} ms after its holder (pid ${pid}, a zombie) was killed`);
    } finally {
      parent.kill("SIGKILL");
    }
  }, 30_000);

  it("ignores a stale PID file and a breaker file naming live processes: no spin, no wait", async () => {
    const dir = await tempDir("pwb-lock-stale-");
    const lockPath = path.join(dir, LOCK_PATH);
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    await fs.writeFile(lockPath, `1 ${process.pid}\n`); // pid 1 is alive
    // A breaker that is alive by every /proc test: this process, with its real start time.
    const start = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ")[19];
    await fs.writeFile(`${lockPath}.break`, `${process.pid} ${start}\n`);
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    // Not waited out: a 30 s timeout, taken in well under a third of it; no spinning meanwhile.
    const lock = await acquireLock(new Root(dir), LOCK_PATH, 30_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await lock.release();
    const cpu = process.cpuUsage(cpu0);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1_000);
    expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
  }, 10_000);

  it("a waiter sleeps while it waits: under 10 % of one CPU over a 1.5 s --lock-timeout, then fails naming the holder", async () => {
    const dir = await tempDir("pwb-lock-wait-");
    const lockPath = path.join(dir, LOCK_PATH);
    const held = await acquireLock(new Root(dir), LOCK_PATH, 1_000);
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const err = (await acquireLock(new Root(dir), LOCK_PATH, 1_500).catch((e: unknown) => e)) as Error;
    const elapsed = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await held.release();
    expect(err.message).toMatch(new RegExp(`another pwb-agent run \\(pid ${process.pid}\\) holds .*; gave up after 2 s \\(--lock-timeout\\)`));
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    // Gives up rather than waiting on: the upper bound leaves a loaded machine seconds of slack.
    expect(elapsed).toBeLessThan(1_500 + 5_000);
    expect((cpu.user + cpu.system) / 1000 / elapsed).toBeLessThan(0.1);
  });

  it("4 concurrent real applies on one head node generate the Workbench keys once", async () => {
    const bundle = requireBuilt("dist/pwb-agent.cjs");
    const c = await simCluster();
    const argv = ["--root", c.head, "--no-imds", "--site", c.siteFile, "--quiet", "--json", "apply"];
    const runs = await Promise.all(Array.from({ length: 4 }, () => run([process.execPath, bundle, ...argv])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const reports = runs.map((r) => JSON.parse(r.stdout) as { applied: { id: string }[] });
    const keyWrites = reports.flatMap((rep) => rep.applied.map((a) => a.id)).filter((id) => /secure-cookie-key|launcher\.pem/.test(id));
    expect(keyWrites.length).toBeGreaterThan(0);
    expect(new Set(keyWrites).size).toBe(keyWrites.length); // each key file written by exactly one run
  }, 60_000);
});
