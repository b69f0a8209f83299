// SIGKILL at random points of real `pwb-agent apply` runs, on head, login and GPU compute nodes of
// both OS families, with the components that write files on a simulated root active (units, site
// file, Workbench, the SPANK plugin; its source from a loopback mirror). Apptainer and CUDA install
// real packages into a simulated root: crash-bake.test.ts kills bake and a GPU node's first boot with
// fixture packages. After every kill each file is whole and each link points somewhere: as before the
// run or after it. Then one run converges to the bytes (and links) an uninterrupted run wrote.
import { spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOwed } from "../../agent/engine/owed.js";
import { Root } from "../../agent/nodefs/root.js";
import { writeSimulatedCluster } from "../../agent/simulation/cluster.js";
import { writeSimulatedNode, type SimOs } from "../../agent/simulation/node.js";
import { requireBuilt } from "../helpers/cli.js";
import { tmpfsScratch } from "../helpers/scratch.js";
import { fakeArtifact, fakeSha256 } from "../helpers/golden-plan.js";
import { simSiteYaml } from "../helpers/workbench.js";
import { KILL_FILES, killTestService } from "../fixtures/kill-resources.js";

/** Kills per node; 6 nodes (CRASH_KILLS=N to try more). */
const KILLS_PER_NODE = Number(process.env.CRASH_KILLS ?? 34);

/** Every URL answers `fake artifact <file name>`: exactly what the site's pinned sha256s expect. */
let mirror: http.Server;
let mirrorUrl = "";
beforeAll(async () => {
  mirror = http.createServer((req, res) => res.end(fakeArtifact(new URL(req.url ?? "/", "http://x").pathname)));
  await new Promise<void>((r) => mirror.listen(0, "127.0.0.1", r));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => mirror.close(() => r())));

/**
 * Two site generations that differ for every component (Workbench's port and database host, the
 * SPANK binds), so every run after the first rewrites files: kills land while they are being replaced.
 */
function siteFor(os: SimOs, gen: 0 | 1): string {
  const base = simSiteYaml().replace("  sharedConfigWaitSeconds: 0", `  sharedConfigWaitSeconds: 0\n  port: ${8787 + gen}`).replace("host: 127.0.0.1", `host: 127.0.0.${1 + gen}`);
  return `${base}
spank:
  source:
    url: ${mirrorUrl}spank/v3.2.0.tar.gz
    sha256: ${fakeSha256("v3.2.0.tar.gz")}
  bind: [/scratch${gen ? ", /data" : ""}]
images:
  - name: r-session
    pull: docker://rstudio/r-session-complete:jammy-2024.12.${1 + gen}
mirror:
  url: ${mirrorUrl}
`;
}

/** The least share of kills that must land after the run changed some file (aimed kills: see writeWindow). */
// Measured: 16-17 % on a quiet 2-core machine, 3.4 % inside a full suite run on it (random kills
// alone: 2 to 16 of 204, 4 % under load).
const MID_RUN_SHARE = 0.025;

/**
 * When an uninterrupted run (started at `t0`, `runMs` long) wrote the files that differ between two
 * states, as shares of the run, from their mtimes; widened a little on both sides, since a killed run
 * on a loaded machine is not timed exactly like the reference.
 */
async function writeWindow(root: string, a: Map<string, Buffer>, b: Map<string, Buffer>, t0: number, runMs: number): Promise<{ from: number; to: number }> {
  const times: number[] = [];
  for (const [p, data] of b) {
    if (a.get(p)?.equals(data)) continue;
    const st = await fs.lstat(path.join(root, p)).catch(() => null);
    if (st) times.push(st.mtimeMs - t0);
  }
  if (times.length === 0 || runMs <= 0) return { from: 0.4, to: 1 };
  const share = (ms: number) => Math.min(1.05, Math.max(0.2, ms / runMs));
  return { from: share(Math.min(...times) - 0.1 * runMs), to: share(Math.max(...times) + 0.05 * runMs) };
}

/** Trees on tmpfs where there is one (see tmpfsScratch). */
const scratchDir = tmpfsScratch();

interface Node {
  os: SimOs;
  name: string;
  root: string;
  site: string;
}

/** A head, a login and a GPU compute node of one OS, as the same AMI boots them. */
async function nodes(os: SimOs): Promise<Node[]> {
  const base = await scratchDir(`pwb-crash-${os}-`);
  const siteText = siteFor(os, 0);
  const site = path.join(base, "site.yaml");
  await fs.writeFile(site, siteText);
  const cluster = await writeSimulatedCluster(base, { os, siteYaml: siteText, password: "crash-test-password" });
  const compute = path.join(base, "compute");
  await writeSimulatedNode(compute, { role: "compute", os, gpus: 1 });
  for (const root of [cluster.head, cluster.login, compute]) {
    await fs.mkdir(path.join(root, "opt/slurm/include/slurm"), { recursive: true });
    await fs.writeFile(path.join(root, "opt/slurm/include/slurm/slurm_version.h"), "#define SLURM_VERSION_NUMBER 0x170b04\n");
  }
  return [
    { os, name: `${os} head`, root: cluster.head, site },
    { os, name: `${os} login`, root: cluster.login, site },
    { os, name: `${os} compute`, root: compute, site },
  ];
}

function runApply(n: Node, killAfterMs: number | null): Promise<{ code: number | null; killed: boolean; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), "--root", n.root, "--no-imds", "--quiet", "--json", "--site", n.site, "apply"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, killed: signal === "SIGKILL", stderr, stdout });
    });
  });
}

/**
 * What a node holds, each thing under its own name: regular files (path → content) and links (path →
 * `symlink → <target>`). A link is not followed, so a file has one name whether or not a link to it
 * exists yet (followed, `current/pwb-build.json` named the SPANK stamp once its `current` link existed:
 * a kill between the two showed the stamp under a name no complete run has). A link to a directory
 * outside the root stands for a mount (the cluster's shared storage) and is walked as one.
 */
async function files(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const inRoot = await fs.realpath(root);
  const walked = new Set<string>(); // a mount reached twice, or a loop of links in one, is walked once
  const isMount = async (link: string) => {
    const target = await fs.realpath(link).catch(() => null);
    if (target === null || target === inRoot || target.startsWith(inRoot + path.sep)) return false;
    return (await fs.stat(target)).isDirectory();
  };
  const walk = async (dir: string, rel: string): Promise<void> => {
    if (walked.has(dir)) return;
    walked.add(dir);
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const [p, r] = [path.join(dir, e.name), path.join(rel, e.name)];
      if (e.isSymbolicLink() && !(await isMount(p))) out.set(r, Buffer.from(`symlink → ${await fs.readlink(p)}`));
      else if (e.isSymbolicLink() || e.isDirectory()) await walk(await fs.realpath(p), r);
      else if (e.isFile()) out.set(r, await fs.readFile(p));
    }
  };
  await walk(inRoot, "");
  return out;
}

/** Files whose content is generated at random once (keys) or derived from them: whole, not equal. */
const GENERATED = /(secure-cookie-key|launcher\.pem|launcher\.pub|manifest\.json|\.inputs)$/;
/** Run records (metrics textfiles, the last apply, the run log): they change every run; whole, not equal. */
const RECORDS = /^(var\/lib\/(node_exporter\/textfile_collector|prometheus\/node-exporter)\/.*\.prom|var\/lib\/pwb-agent\/(last-apply|owed)\.json|var\/log\/pwb-agent\/runs\.jsonl(\.1)?)$/;
/** Package databases the package tools' read-only queries may create (sqlite, not ours to make atomic). */
const FOREIGN = /^(root\/\.rpmdb|var\/lib\/rpm|var\/lib\/dpkg)\//;
const isTemp = (p: string) => FOREIGN.test(p) || p.includes(".pwb-tmp-") || /\.part$/.test(p) || p.startsWith("run/pwb-agent/");

function wholeGenerated(p: string, data: Buffer): boolean {
  const text = data.toString("utf8");
  const json = (t: string) => { try { JSON.parse(t); return true; } catch { return false; } };
  // Prometheus text: comment or sample lines, the last one ended.
  if (p.endsWith(".prom")) return text === "" || (text.endsWith("\n") && text.split("\n").slice(0, -1).every((l) => l.startsWith("#") || /^[a-z_:][a-z0-9_:]*(\{.*\})? \S+$/i.test(l)));
  if (p.endsWith(".json")) return json(text);
  // Appended a line at a time: a kill between its open and its one write leaves it empty, never half a line.
  if (/runs\.jsonl(\.1)?$/.test(p)) return text === "" || (text.endsWith("\n") && text.split("\n").slice(0, -1).every(json));
  if (p.endsWith("secure-cookie-key")) return /^[0-9a-f]{32,}\n?$/.test(text);
  // A login node's restart stamp: a header, then "<sha256>  <file>" lines, newline-terminated.
  if (p.endsWith(".inputs")) return /^# [^\n]*\n([0-9a-f]{64}  [\w.-]+\n)*$/.test(text);
  if (p.endsWith("manifest.json")) return (() => { try { JSON.parse(text); return true; } catch { return false; } })();
  try {
    createPrivateKey(text.includes("PUBLIC") ? { key: text, format: "pem", type: "spki" } as never : text);
    return true;
  } catch {
    return text.includes("-----BEGIN PUBLIC KEY-----") && text.trimEnd().endsWith("-----END PUBLIC KEY-----");
  }
}

/** A file as a kill left it is whole: a generated one well-formed, any other byte for byte as one of `states` has it. */
function isWhole(p: string, data: Buffer, states: Array<Map<string, Buffer>>): boolean {
  return GENERATED.test(p) || RECORDS.test(p) ? wholeGenerated(p, data) : states.some((s) => s.get(p)?.equals(data) ?? false);
}

/** The reference node back at generation 0 (it ended at 1): what the crashed node must converge to. */
async function refAt0(ref: Node): Promise<Map<string, Buffer>> {
  await fs.writeFile(ref.site, siteFor(ref.os, 0));
  const r = await runApply(ref, null);
  expect(r.code, r.stderr).toBe(0);
  return files(ref.root);
}

describe("SIGKILL across every component's apply, both OS families", () => {
  it("a kill between the SPANK stamp and its `current` link: each file whole under its own name, then converged", async () => {
    requireBuilt("dist/pwb-agent.cjs");
    const n = (await nodes("ubuntu2204"))[1]!; // a login node, as in the kill that first showed it
    const first = await runApply(n, null);
    expect(first.code, first.stderr).toBe(0);
    const installDir = "usr/local/lib/pwb-agent/spank";
    const applied = (JSON.parse(first.stdout) as { applied: { id: string }[] }).applied.map((a) => a.id);
    const stamp = applied.find((id) => /^file:.*\/slurm-[^/]+\/pwb-build\.json$/.test(id))?.slice("file:/".length);
    // The link is applied right after the stamp: a SIGKILL between the two leaves exactly this state.
    expect(applied.indexOf(`symlink:/${installDir}/current`), applied.join("\n")).toBe(applied.indexOf(`file:/${stamp}`) + 1);
    const want = await files(n.root);
    await fs.rm(path.join(n.root, installDir, "current"));
    const killed = await files(n.root);
    expect(killed.has(stamp!)).toBe(true);
    for (const [p, data] of killed) expect(isWhole(p, data, [want]), `${p} torn: ${JSON.stringify(data.toString("utf8").slice(-300))}`).toBe(true);
    expect(want.get(`${installDir}/current`)?.toString(), "links are part of the state").toBe(`symlink → ${path.basename(path.dirname(stamp!))}`);
    // The next run finds the build done and only points `current` at it again.
    const again = await runApply(n, null);
    expect(again.code, again.stderr).toBe(0);
    const settled = (m: Map<string, Buffer>) => new Map([...m].filter(([p]) => !RECORDS.test(p)));
    expect(settled(await files(n.root))).toEqual(settled(want));
  });

  it(`${KILLS_PER_NODE * 6} kills at random points: 0 torn files, then the same bytes as an uninterrupted run`, async () => {
    requireBuilt("dist/pwb-agent.cjs");
    const stats = { kills: 0, midRun: 0, tornFiles: 0, filesChecked: 0 };
    const lane = async (os: SimOs) => {
      const [reference, crashed] = [await nodes(os), await nodes(os)];
      for (let i = 0; i < reference.length; i++) {
        const ref = reference[i]!;
        const n = crashed[i]!;
        // Uninterrupted runs of both generations: the bytes every file may hold, and the run's length.
        const want: Array<Map<string, Buffer>> = [];
        let runMs = 0; // of the rewrite run (generation 1 over 0): no key generation, every component writes
        let writes = { from: 0.4, to: 1 }; // when that run wrote, as shares of it (from the files' mtimes)
        for (const gen of [0, 1] as const) {
          await fs.writeFile(ref.site, siteFor(ref.os, gen));
          const t0 = Date.now();
          const clean = await runApply(ref, null);
          runMs = Date.now() - t0;
          expect(clean.code, `${ref.name}: ${clean.stderr}`).toBe(0);
          want.push(await files(ref.root));
          if (gen === 1) writes = await writeWindow(ref.root, want[0]!, want[1]!, t0, runMs);
        }
        // Where this node's first write falls (ms), learnt from the aimed kills: one that changed nothing
        // came too early, one that changed something (or a run that ended first) came after it.
        let firstWrite = writes.from * runMs;
        const before = await files(n.root);
        let prev = before;
        let gen: 0 | 1 = 1; // the crashed node starts bare; generation 0 is what it was applied with last
        for (let k = 0; k < KILLS_PER_NODE; k++) {
          await fs.writeFile(n.site, siteFor(n.os, gen));
          // One kill in four uniform over the run after Node's start-up (its first ~40 %, where nothing is
          // written yet) and a little past it; the others aimed just past this node's first write.
          const aimed = k % 4 !== 3;
          // Narrow: from the first write to the exit is a few tens of ms, start-up jitter as much again.
          const width = Math.min(writes.to - writes.from, 0.08) * runMs;
          const at = aimed ? firstWrite + width * Math.random() : runMs * (0.4 + 0.7 * Math.random());
          const t0 = performance.now();
          const r = await runApply(n, at);
          // A run that finished sets the scale for the next kills: this node's runs, under this machine's load.
          if (!r.killed) runMs = performance.now() - t0;
          stats.kills++;
          if (r.code !== null && r.code !== 0) expect.fail(`${n.name}: apply failed after kill ${k}: ${r.stderr}`);
          const now = await files(n.root);
          let changed = 0;
          // A file both generations declare that was there before this run must still be there: a vanished file is torn too.
          for (const p of prev.keys()) {
            if (isTemp(p) || !want[0]!.has(p) || !want[1]!.has(p) || now.has(p)) continue;
            stats.tornFiles++;
            expect.fail(`${n.name}: ${p} vanished after a kill at ${at.toFixed(0)} ms`);
          }
          for (const [p, data] of now) {
            if (isTemp(p)) continue;
            stats.filesChecked++;
            const ok = isWhole(p, data, [want[0]!, want[1]!, before]);
            if (!ok) stats.tornFiles++;
            expect(ok, `${n.name}: ${p} torn after a kill at ${at.toFixed(0)} ms: ${JSON.stringify(data.toString("utf8").slice(-300))}`).toBe(true);
            if (!(prev.get(p)?.equals(data) ?? false)) changed++;
          }
          prev = now;
          if (r.killed && changed > 0) stats.midRun++;
          // Too early: the first write is later. Hit: stay near the edge. The run ended first: come back earlier.
          if (aimed) firstWrite = Math.max(0, r.killed && changed === 0 ? at : r.killed ? firstWrite - width / 4 : firstWrite - width / 2);
          // Switch generations once a run wrote something, so the next one rewrites files again.
          if (changed > 0 || !r.killed) gen = gen ? 0 : 1;
        }
        await fs.writeFile(n.site, siteFor(n.os, 0));
        // Converge: one run, then the bytes of the uninterrupted one; a second run changes nothing.
        const last = await runApply(n, null);
        expect(last.code, `${n.name}: ${last.stderr}`).toBe(0);
        const got = await files(n.root);
        // The download cache keeps what earlier runs fetched (history, not desired state): compared for tearing only.
        const strip = (m: Map<string, Buffer>) => new Map([...m].filter(([p]) => !isTemp(p) && !GENERATED.test(p) && !RECORDS.test(p) && !p.startsWith("var/cache/pwb-agent/")).map(([p, b]) => [p, b.toString("base64")]));
        expect(strip(got), `${n.name}: converged bytes`).toEqual(strip(want[1]!.size ? await refAt0(ref) : want[0]!));
        // A temporary file is cleaned by the next run that manages its target; a kill during generation 1
        // may leave one for a file generation 0 no longer declares (an image sidecar): that one stays.
        const targetOf = (p: string) => path.join(path.dirname(p), path.basename(p).replace(/^\./, "").replace(/\.pwb-tmp-.*$/, ""));
        const leftovers = [...got.keys()].filter((p) => isTemp(p) && !FOREIGN.test(p) && !p.startsWith("run/pwb-agent/") && want[0]!.has(targetOf(p)));
        expect(leftovers, `${n.name}: leftovers ${leftovers.join(", ")}`).toEqual([]);
        // Again: only what a simulated root never settles (packages, builds: planned, not run), as on the reference.
        const ids = async (x: Node) => (JSON.parse((await runApply(x, null)).stdout) as { applied: { id: string }[] }).applied.map((a) => a.id);
        expect(await ids(n), `${n.name}: a converged node changed again`).toEqual(await ids(ref));
      }
    };
    const t0 = performance.now();
    await Promise.all([lane("rocky9"), lane("ubuntu2204")]);
    expect(stats.tornFiles).toBe(0);
    // Three kills in four are aimed at the write window: a fair share of all of them must land
    // while files change, or the suite proves nothing about writes.
    expect(stats.midRun / stats.kills, `${stats.midRun} of ${stats.kills} kills landed after a file had changed`).toBeGreaterThanOrEqual(MID_RUN_SHARE);
    console.log(`crash: ${stats.kills} SIGKILLs (${stats.midRun} after some file had changed), ${stats.filesChecked} file checks, ${stats.tornFiles} torn, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 240_000);
});

describe("a kill aimed between each write and the restart it owes", () => {
  it(`killed right after the N-th of ${KILL_FILES} files is in place, at both ends and every 5th: the next apply restarts the readers of all of them`, async () => {
    const driver = path.join(await scratchDir("pwb-kill-driver-"), "kill-driver.cjs");
    await build({ entryPoints: [path.resolve("test/fixtures/kill-driver.ts")], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: driver, logLevel: "error" });
    const dir = await scratchDir("pwb-kill-aimed-");
    const run = (gen: number, killAfter?: number) =>
      new Promise<{ killed: boolean; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [driver, dir, String(gen), ...(killAfter ? [String(killAfter)] : [])], { stdio: ["ignore", "pipe", "pipe"] });
        let [stdout, stderr] = ["", ""];
        child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        child.on("close", (_code, signal) => resolve({ killed: signal === "SIGKILL", stdout, stderr }));
      });
    const first = await run(0);
    expect(first.stderr).toBe("");
    const every = Array.from({ length: KILL_FILES }, (_, i) => killTestService(i));
    // Both ends write by write, the middle every 5th write (each case is two runs of the driver).
    const points = Array.from({ length: KILL_FILES }, (_, i) => i + 1).filter((n) => n <= 3 || n >= KILL_FILES - 2 || n % 5 === 0);
    for (const [k, n] of points.entries()) {
      const gen = (k + 1) % 2; // every case rewrites every file

      const killed = await run(gen, n);
      expect(killed.killed, `kill after write ${n}: ${killed.stderr}`).toBe(true);
      // The first n files are the new generation, and each one's reader is owed before its write.
      const owed = (await readOwed(new Root(dir))).restarts.map((r) => r.unit);
      expect(owed, `owed after a kill at write ${n}`).toEqual(every.slice(0, n));
      const next = JSON.parse((await run(gen)).stdout) as { changes: number; restarted: string[] };
      expect(next.changes, `after a kill at write ${n}`).toBe(KILL_FILES - n);
      // The readers of the files the killed run wrote are restarted too, not only those of the files this run writes.
      expect([...next.restarted].sort(), `restarted after a kill at write ${n}`).toEqual(every);
      expect((await readOwed(new Root(dir))).restarts).toEqual([]);
    }
  }, 240_000);
});
