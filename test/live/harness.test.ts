// The live-node harness itself: several nodes from one pristine image, a shared bind, a private
// network that only the nodes' addresses are on, reboots that keep a node's layer, and nothing left
// behind: not by remove(), not by a test process that exits without it, not by one killed outright.
import { spawn } from "node:child_process";
import { existsSync, promises as fs, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveCluster, type LiveNode } from "../helpers/live-node.js";
// @ts-expect-error: a plain .mjs script (also a CLI) without type declarations
import { ensureImage } from "./image.mjs";

let image: { root: string };
const clusters: LiveCluster[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  image = await ensureImage();
}, 900_000);

afterAll(async () => {
  for (const c of clusters) await c.remove();
  for (const d of scratch) await fs.rm(d, { recursive: true, force: true });
});

/** What a test process named `pid` may leave on the host: namespaces, mounts, scratch dirs, containers. */
function leftoversOf(pid: number): string[] {
  const out: string[] = [];
  if (existsSync("/run/netns")) out.push(...readdirSync("/run/netns").filter((n) => n.startsWith(`pwbl${pid}-`)).map((n) => `netns ${n}`));
  out.push(...readdirSync(os.tmpdir()).filter((n) => n.startsWith(`pwb-live-${pid}-`)).map((n) => `dir ${n}`));
  out.push(...readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(`/pwb-live-${pid}-`)).map((l) => `mount ${l.split(" ")[4]}`));
  for (const e of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(`--machine=pwbl${pid}-`)) out.push(`process ${e}`);
    } catch {
      /* exited */
    }
  }
  return out;
}

/** A test process in miniature: boots one node, says its PID when it is up, then ends as `how` says. */
async function crashingTestProcess(how: "exit" | "hang"): Promise<{ pid: number; child: ReturnType<typeof spawn> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-harness-child-"));
  scratch.push(dir);
  const entry = path.join(dir, "child.ts");
  await fs.writeFile(entry, [
    `import { LiveCluster } from ${JSON.stringify(path.resolve("test/helpers/live-node.ts"))};`,
    `const c = new LiveCluster(${JSON.stringify(image.root)});`,
    `await c.boot({ name: "orphan" });`,
    `console.log("booted");`,
    how === "exit" ? `process.exit(3);` : `setInterval(() => {}, 1000);`,
  ].join("\n"));
  const out = path.join(dir, "child.mjs");
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", outfile: out, logLevel: "silent" });
  const child = spawn(process.execPath, [out], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (b: Buffer) => (text += b));
  child.stderr!.on("data", (b: Buffer) => (text += b));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (text.includes("booted")) clearInterval(t), resolve();
      else if (child.exitCode !== null && how === "hang") clearInterval(t), reject(new Error(`child exited: ${text}`));
      else if (child.exitCode !== null) clearInterval(t), resolve();
    }, 100);
  });
  return { pid: child.pid!, child };
}

describe("live nodes", () => {
  let a: LiveNode;
  let b: LiveNode;
  let cluster: LiveCluster;
  let home: string;

  beforeAll(async () => {
    cluster = new LiveCluster(image.root);
    clusters.push(cluster);
    home = await cluster.sharedDir("home");
    [a, b] = await Promise.all([
      cluster.boot({ name: "node-a", binds: [{ host: home, node: "/home" }], files: { "/etc/pwb-test/marker": "a\n" } }),
      cluster.boot({ name: "node-b", binds: [{ host: home, node: "/home" }] }),
    ]);
  }, 180_000);

  it("boot from one image that stays pristine, each with its own files and hostname", async () => {
    expect(await a.readFile("/etc/pwb-test/marker")).toBe("a\n");
    expect((await b.exec(["cat", "/etc/pwb-test/marker"])).code).not.toBe(0);
    expect(existsSync(path.join(image.root, "etc/pwb-test"))).toBe(false);
    expect((await a.must(["hostname"])).trim()).toBe("node-a");
    expect((await b.must(["hostname"])).trim()).toBe("node-b");
  });

  it("share a bound /home: what one writes the other reads", async () => {
    await a.must(["sh", "-c", "echo from-a > /home/shared.txt"]);
    expect((await b.must(["cat", "/home/shared.txt"])).trim()).toBe("from-a");
    expect(readFileSync(path.join(home, "shared.txt"), "utf8")).toBe("from-a\n");
  });

  it("reach each other by name on a network that has only their addresses and no way out", async () => {
    expect(await a.must(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "http://node-b:9100/metrics"])).toBe("200");
    const routes = (await a.must(["ip", "-4", "route", "show"])).trim().split("\n");
    expect(routes).toEqual([expect.stringMatching(/^10\.89\.0\.0\/24 dev host0 /)]);
    const addrs = (await a.must(["ip", "-4", "-o", "addr", "show"])).trim().split("\n").map((l) => l.split(/\s+/)[3]);
    expect(addrs.sort()).toEqual([`${a.address}/24`, "127.0.0.1/8"].sort());
    expect((await a.exec(["curl", "-sS", "--max-time", "3", "http://192.0.2.1/"])).code).not.toBe(0);
  });

  it("keep their own layer across a reboot", async () => {
    await b.writeFile("/var/lib/pwb-test/state", "kept\n");
    const before = b.pid1;
    await b.reboot();
    expect(b.pid1).not.toBe(before);
    expect(await b.readFile("/var/lib/pwb-test/state")).toBe("kept\n");
    expect((await b.must(["systemctl", "is-system-running"])).trim()).toMatch(/^(running|degraded)$/);
  });

  it("are removed whole by remove(): containers, mounts, namespaces, scratch directories", async () => {
    await cluster.remove();
    expect(leftoversOf(process.pid)).toEqual([]);
  });
});

describe("a test process that ends without remove()", () => {
  it("exits: its exit hook removes everything", async () => {
    const { pid, child } = await crashingTestProcess("exit");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    expect(child.exitCode).toBe(3);
    // Lazy unmounts finish once the killed container lets go.
    for (let i = 0; i < 50 && leftoversOf(pid).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(leftoversOf(pid)).toEqual([]);
  }, 120_000);

  it("is killed outright: the next cluster sweeps what it left", async () => {
    const { pid, child } = await crashingTestProcess("hang");
    expect(leftoversOf(pid).length).toBeGreaterThan(0);
    child.kill("SIGKILL");
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once("exit", r)));
    expect(leftoversOf(pid).length).toBeGreaterThan(0);
    const next = new LiveCluster(image.root);
    clusters.push(next);
    await next.boot({ name: "sweeper" });
    for (let i = 0; i < 50 && leftoversOf(pid).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(leftoversOf(pid)).toEqual([]);
    await next.remove();
  }, 180_000);
});
