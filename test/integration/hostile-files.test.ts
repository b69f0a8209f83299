// Hostile trees under --root: a link at every managed path and at each of its parents, FIFOs,
// devices, directories where files belong. The agent may refuse (exit 1, the path named) or replace
// what it owns; it may never write outside the root, and it may never hang.
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyNode, desired } from "../../agent/node/converge.js";
import { pathOf } from "../../agent/engine/handlers.js";
import { Root } from "../../agent/nodefs/root.js";
import { gatherFacts, type Facts } from "../../agent/facts/index.js";
import { silentLogger } from "../../agent/log.js";
import { loadSite } from "../../agent/site/load.js";
import { requireBuilt } from "../helpers/cli.js";
import { snapshot, tempDir } from "../helpers/engine.js";
import { simCluster, simSiteYaml, type SimCluster } from "../helpers/workbench.js";

const log = silentLogger();

const factsOf = new Map<string, Facts>();

/** A fresh Root and site per run; facts once per node (they come from files no case touches first). */
async function openNode(dir: string, c: SimCluster) {
  const root = new Root(dir);
  if (!factsOf.has(dir)) factsOf.set(dir, await gatherFacts({ root, imds: { enabled: false }, log }));
  const facts = factsOf.get(dir)!;
  const site = await loadSite({ site: c.siteFile, root, log });
  return { root, facts, site };
}

/** Every path the head node's apply manages, and every parent of one, below / (node paths). */
async function managedPathsAndParents(dir: string, c: SimCluster, mounts: string[]): Promise<{ leaves: string[]; parents: string[] }> {
  const { root, facts, site } = await openNode(dir, c);
  const leaves = (await desired(root, facts, log, { site }, "plan")).resources.flatMap((r) => {
    const p = pathOf(r);
    return p && (r.kind === "file" || r.kind === "symlink") ? [p] : [];
  });
  const parents = new Set<string>();
  for (const p of leaves) for (let d = path.posix.dirname(p); d !== "/"; d = path.posix.dirname(d)) parents.add(d);
  // The mount points are links out by design (the shared storage); what lies under them is not.
  return { leaves: [...new Set(leaves)].sort(), parents: [...parents].filter((d) => !mounts.includes(d)).sort() };
}

/** Runs `fn`; a hang is a failure, not a stuck suite. */
async function bounded<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still running after ${ms} ms (a hang)`)), ms)));
  try {
    return await Promise.race([fn(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe("links leading out of --root", () => {
  it("at every managed path and each parent, head and login node: no write outside the root, refusals name the path", async () => {
    const c = await simCluster();
    const outside = await tempDir("pwb-outside-");
    const cases: Array<{ node: string; p: string; leaf: boolean }> = [];
    let parentCount = 0;
    for (const node of [c.head, c.login]) {
      // A converged node first, so every case meets a complete tree.
      const n = await openNode(node, c);
      await applyNode(n.root, n.facts, log, { lockTimeoutMs: 5_000, site: n.site });
      const { leaves, parents } = await managedPathsAndParents(node, c, ["/opt/rstudio", "/home"]);
      parentCount += parents.length;
      cases.push(...parents.map((p) => ({ node, p, leaf: false })), ...leaves.map((p) => ({ node, p, leaf: true })));
    }
    const sharedBefore = await snapshot(c.shared);

    let refused = 0;
    let replaced = 0;
    for (const [i, { node, p, leaf }] of cases.entries()) {
      const real = path.join(node, p);
      // The bait: an empty directory (or a file) outside the root where the link points.
      const bait = path.join(outside, String(i));
      if (leaf) await fs.writeFile(bait, "outside\n");
      else await fs.mkdir(bait);
      const aside = `${real}.aside`;
      await fs.rename(real, aside).catch(() => undefined);
      await fs.symlink(bait, real);
      const before = await snapshot(outside);
      const { root, facts, site } = await openNode(node, c);
      const err = await bounded(p, 10_000, () => applyNode(root, facts, log, { lockTimeoutMs: 5_000, site }).then(() => null, (e: Error) => e));
      expect(await snapshot(outside), `apply wrote through ${p} → outside the root`).toEqual(before);
      if (err) {
        expect(err.message, p).toMatch(/refusing to (write|remove|read) .* is a link leading outside the root/);
        expect(err.message, p).toContain(`${p} (→ ${bait})`);
        refused++;
      } else {
        // Only a link at a leaf the agent owns may be replaced: the file is its own again.
        expect(leaf, `${p}: a parent link was followed out of the root without an error`).toBe(true);
        expect((await fs.lstat(real)).isSymbolicLink() && (await fs.readlink(real)) === bait).toBe(false);
        replaced++;
      }
      await fs.rm(real, { recursive: true, force: true });
      await fs.rename(aside, real).catch(() => undefined);
    }
    expect(await snapshot(c.shared)).toEqual(sharedBefore);
    expect(refused).toBeGreaterThanOrEqual(parentCount);
    console.log(`hostile links: ${cases.length} cases (${parentCount} parents, ${cases.length - parentCount} managed paths, head and login): ${refused} refused, ${replaced} leaf links replaced, 0 writes outside`);
  }, 120_000);
});

/** The bundled CLI, bounded: resolves with the exit code (null: killed after `ms`, a hang). */
function cliBounded(args: string[], ms: number): Promise<{ code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - t0 });
    });
  });
}

describe("special files where files belong", () => {
  const mkfifo = (p: string) => {
    const r = spawn("mkfifo", [p]);
    return new Promise<void>((res, rej) => r.on("close", (code) => (code === 0 ? res() : rej(new Error(`mkfifo ${p} failed: is coreutils installed?`)))));
  };
  const mknod = (p: string) => {
    const r = spawn("mknod", [p, "c", "1", "3"]); // a copy of /dev/null
    return new Promise<void>((res, rej) => r.on("close", (code) => (code === 0 ? res() : rej(new Error(`mknod ${p} failed: run the tests as root`)))));
  };

  // Inputs (exit 2) and managed or shared files (exit 1): each named, none blocking plan or apply.
  const CASES: Array<{ where: (c: SimCluster) => string; node: string; code: number; planCode?: number; kind: "fifo" | "device" | "dir"; on?: "login" }> = [
    { where: (c) => path.join(c.head, "etc/chef/dna.json"), node: "/etc/chef/dna.json", code: 2, kind: "fifo" },
    { where: (c) => path.join(c.head, "etc/parallelcluster/cfnconfig"), node: "/etc/parallelcluster/cfnconfig", code: 2, kind: "fifo" },
    { where: (c) => c.siteFile, node: "site.yaml", code: 2, kind: "fifo" },
    { where: (c) => c.siteFile, node: "site.yaml", code: 2, kind: "device" },
    { where: (c) => path.join(c.head, "etc/pwb-agent/database-password"), node: "/etc/pwb-agent/database-password", code: 2, kind: "fifo" },
    { where: (c) => path.join(c.shared, "opt-rstudio/etc/rstudio/rserver.conf"), node: "/opt/rstudio/etc/rstudio/rserver.conf", code: 1, kind: "fifo" },
    { where: (c) => path.join(c.shared, "opt-rstudio/etc/rstudio/launcher-env"), node: "/opt/rstudio/etc/rstudio/launcher-env", code: 1, kind: "fifo" },
    { where: (c) => path.join(c.shared, "opt-rstudio/etc/rstudio/secure-cookie-key"), node: "/opt/rstudio/etc/rstudio/secure-cookie-key", code: 1, kind: "fifo" },
    { where: (c) => path.join(c.shared, "opt-rstudio/etc/rstudio/rserver.conf"), node: "/opt/rstudio/etc/rstudio/rserver.conf", code: 1, kind: "device" },
    { where: (c) => path.join(c.shared, "opt-rstudio/etc/rstudio/rserver.conf"), node: "/opt/rstudio/etc/rstudio/rserver.conf", code: 1, kind: "dir" },
    { where: (c) => path.join(c.login, "etc/systemd/system/rstudio-server.service.d/pwb-agent.conf"), node: "/etc/systemd/system/rstudio-server.service.d/pwb-agent.conf", code: 1, kind: "fifo", on: "login" },
    // Where a directory belongs: plan sees a file to create (exit 10), apply fails naming it.
    { where: (c) => path.join(c.login, "etc/systemd/system/rstudio-launcher.service.d"), node: "/etc/systemd/system/rstudio-launcher.service.d", code: 1, planCode: 10, kind: "fifo", on: "login" },
    { where: (c) => path.join(c.head, "usr/lib/systemd/system/pwb-agent.service"), node: "/usr/lib/systemd/system/pwb-agent.service", code: 1, kind: "fifo" },
    { where: (c) => path.join(c.head, "usr/lib/systemd/system/pwb-agent.service"), node: "/usr/lib/systemd/system/pwb-agent.service", code: 1, kind: "device" },
    { where: (c) => path.join(c.head, "proc/mounts"), node: "/proc/mounts", code: 1, kind: "fifo" },
  ];

  it(`${CASES.length} FIFOs, devices and directories: plan and apply end within 10 s, exit 1 or 2, naming the file`, async () => {
    let slowest = 0;
    // One converged cluster; each case swaps one file for a hostile one, then puts it back.
    const c = await simCluster();
    for (const dir of [c.head, c.login]) {
      const h = await cliBounded(["--root", dir, "--no-imds", "--site", c.siteFile, "--quiet", "apply"], 30_000);
      expect(h.code, h.stderr).toBe(0);
    }
    for (const k of CASES) {
      const node = k.on === "login" ? c.login : c.head;
      const target = k.where(c);
      const aside = `${target}.aside`;
      const existed = await fs.rename(target, aside).then(() => true, () => false);
      await fs.mkdir(path.dirname(target), { recursive: true });
      if (k.kind === "fifo") await mkfifo(target);
      else if (k.kind === "device") await mknod(target);
      else await fs.mkdir(target);
      for (const cmd of ["plan", "apply"]) {
        const r = await cliBounded(["--root", node, "--no-imds", "--site", c.siteFile, "--quiet", cmd], 10_000);
        slowest = Math.max(slowest, r.ms);
        expect(r.code, `${cmd} with a ${k.kind} at ${k.node} (null: it hung)\n${r.stderr}`).toBe(cmd === "plan" ? (k.planCode ?? k.code) : k.code);
        if (r.code !== 10) expect(r.stderr, `${cmd}: ${k.kind} at ${k.node}`).toContain(k.node === "site.yaml" ? c.siteFile : k.node);
      }
      await fs.rm(target, { recursive: true, force: true });
      if (existed) await fs.rename(aside, target);
    }
    console.log(`hostile special files: ${CASES.length} cases × plan and apply, slowest ${slowest} ms, 0 hangs`);
  }, 180_000);
});

describe("--deadline", () => {
  it("ends an apply stuck waiting (a login node whose head never renders): exit 1 within the deadline, lock free", async () => {
    const c = await simCluster(simSiteYaml().replace("sharedConfigWaitSeconds: 0", "sharedConfigWaitSeconds: 60"));
    const r = await cliBounded(["--root", c.login, "--no-imds", "--site", c.siteFile, "--quiet", "apply", "--deadline", "1.5"], 20_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("apply did not finish within 1.5 s (--deadline)");
    expect(r.ms).toBeLessThan(10_000);
    // The kernel freed the lock with the process: the next run takes it at once.
    const again = await cliBounded(["--root", c.login, "--no-imds", "--site", c.siteFile, "--quiet", "apply", "--deadline", "1", "--lock-timeout", "0"], 20_000);
    expect(again.stderr).not.toContain("holds");
  }, 40_000);
});
