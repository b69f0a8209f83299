// SIGKILL at random points of real `pwb-agent bake` runs on Ubuntu 22.04 and Rocky 9 image roots, where
// packages go in for real (fixture .debs with dpkg --root; fixture .rpms with rpm --root and dnf
// --installroot) from a loopback mirror: Workbench, R, Python, Quarto, Apptainer, the SPANK plugin's
// source and build tools, and on Ubuntu CUDA's repository. The whole process group dies, as systemd kills a unit, so
// dpkg, rpm and dnf die mid-transaction too. After every kill each file is whole (its content before
// the bake or after an uninterrupted one) and the package database answers; then one bake converges to
// the bytes and the packages of an uninterrupted bake, and a second one changes nothing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lifecycleSite, startFixtureMirror, writeParentImage, type LifecycleOs } from "../../agent/sim/image.js";
import { sha256 } from "../../agent/sim/fixture-packages.js";
import { requireBuilt } from "../helpers/cli.js";

/** Kills per OS family (CRASH_BAKE_KILLS=N to try more). */
const KILLS_PER_OS = Number(process.env.CRASH_BAKE_KILLS ?? 12);

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});
async function scratchDir(prefix: string): Promise<string> {
  const parent = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const d = await fs.mkdtemp(path.join(parent, prefix));
  made.push(d);
  return d;
}

/** The CUDA repository's signing key, as the mirror serves it (Ubuntu: apt reads repositories on a live node only). */
const CUDA_KEY = Buffer.from("-----BEGIN PGP PUBLIC KEY BLOCK-----\nstand-in\n-----END PGP PUBLIC KEY BLOCK-----\n");

function runBake(root: string, site: string, killAfterMs: number | null): Promise<{ code: number | null; killed: boolean; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    // Its own process group: a kill takes the agent and whatever package tool it is running.
    const child = spawn(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), "--root", root, "--no-imds", "--quiet", "--json", "--site", site, "bake"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    let killed = false;
    const timer = killAfterMs === null ? null : setTimeout(() => {
      killed = true;
      try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ }
    }, killAfterMs);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, killed: killed && code === null, stderr, stdout });
    });
  });
}

/** Regular files under `dir` (relative path → content). */
async function files(dir: string, rel = "", out = new Map<string, Buffer>()): Promise<Map<string, Buffer>> {
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) await files(dir, r, out);
    else if (e.isFile()) out.set(r, await fs.readFile(path.join(dir, r)));
  }
  return out;
}

/** The package tools' own state (databases, caches, logs): checked through the tools, not byte by byte. */
// dnf puts its cache under the root's path again inside the root (--installroot prefixes --setopt=cachedir).
const FOREIGN = /^(.*\/var\/cache\/dnf|root\/\.rpmdb|var\/lib\/rpm|var\/lib\/dpkg|var\/lib\/dnf|var\/cache\/dnf|var\/log\/(dpkg|dnf|hawkey)[^/]*|var\/cache\/ldconfig|etc\/ld\.so\.cache)(\/|$)/;
/** Temporaries: ours, dpkg's and rpm's (`path;<hex>` until its rename). */
/** An archive's staging (`<dest>.tmp-<pid>`, `<dest>.old-<pid>`): the next run that extracts it removes it. */
const STAGING = /\.(tmp|old)-\d+\//;
const isTemp = (p: string) => FOREIGN.test(p) || STAGING.test(p) || p.includes(".pwb-tmp-") || /\.part$/.test(p) || /\.dpkg-(new|tmp)$/.test(p) || /;[0-9a-f]{8}$/.test(p) || p.startsWith("run/");
/** Run records: they change every run; whole, not equal. */
const RECORDS = /^(var\/lib\/node_exporter\/textfile_collector\/.*\.prom|var\/lib\/pwb-agent\/last-(apply|bake)\.json|var\/log\/pwb-agent\/runs\.jsonl(\.1)?)$/;

function wholeRecord(p: string, data: Buffer): boolean {
  const text = data.toString("utf8");
  const json = (t: string) => { try { JSON.parse(t); return true; } catch { return false; } };
  if (p.endsWith(".prom")) return text === "" || (text.endsWith("\n") && text.split("\n").slice(0, -1).every((l) => l.startsWith("#") || /^[a-z_:][a-z0-9_:]*(\{.*\})? \S+$/i.test(l)));
  if (p.endsWith(".json")) return json(text);
  return text === "" || (text.endsWith("\n") && text.split("\n").slice(0, -1).every(json));
}

/** What the root's own package database says is installed (name → version); fails if it cannot be read. */
function installed(root: string, family: LifecycleOs): Map<string, string> {
  const r = family === "rocky9"
    ? spawnSync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-qa", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n"], { encoding: "utf8" })
    : spawnSync("dpkg-query", [`--admindir=${root}/var/lib/dpkg`, "-W", "-f=${Package}\\t${Version}\\t${Status}\\n"], { encoding: "utf8" });
  expect(r.status, `${family}: package database unreadable: ${r.stderr}`).toBe(0);
  return new Map(r.stdout.trim().split("\n").filter(Boolean).map((l) => { const [n, ...rest] = l.split("\t"); return [n!, rest.join(" ")]; }));
}

describe("SIGKILL across bake (packages installed for real), both OS families", () => {
  it(`${KILLS_PER_OS * 2} kills of bake and its package tools: 0 torn files, a readable package database, then the bytes and packages of an uninterrupted bake`, async () => {
    requireBuilt("dist/pwb-agent.cjs");
    const stats = { kills: 0, midRun: 0, midPackages: 0, tornFiles: 0, filesChecked: 0 };
    const lane = async (family: LifecycleOs) => {
      const base = await scratchDir(`pwb-crash-bake-${family}-`);
      const mirror = await startFixtureMirror(base, family);
      try {
        let siteText = lifecycleSite(mirror, family);
        if (family === "ubuntu2204") {
          // CUDA's image phase: the repository's verified key and apt source (its packages: apt, on a live node).
          mirror.files.set("/cuda/ubuntu2204/x86_64/3bf863cc.pub", CUDA_KEY);
          siteText += `cuda:\n  toolkit: "12.4"\n  repo:\n    keySha256: ${sha256(CUDA_KEY)}\n`;
        }
        const site = path.join(base, "site.yaml");
        await fs.writeFile(site, siteText);
        const [ref, crashed] = [path.join(base, "ref"), path.join(base, "crashed")];
        for (const d of [ref, crashed]) await writeParentImage(d, family, mirror);
        const before = await files(crashed);
        const t0 = performance.now();
        const clean = await runBake(ref, site, null);
        let runMs = performance.now() - t0;
        expect(clean.code, `${family}: ${clean.stderr}`).toBe(0);
        const want = await files(ref);
        const wantPackages = installed(ref, family);
        expect([...wantPackages.keys()], family).toEqual(expect.arrayContaining(["rstudio-workbench", "apptainer"]));

        let prev = before;
        for (let k = 0; k < KILLS_PER_OS; k++) {
          // Start from the bare parent image half the time, so kills land in every package's transaction, not only the last ones.
          const at = runMs * (0.3 + 0.8 * Math.random());
          const t1 = performance.now();
          const r = await runBake(crashed, site, at);
          if (!r.killed) runMs = performance.now() - t1;
          stats.kills++;
          if (r.code !== null && r.code !== 0) expect.fail(`${family}: bake failed after kill ${k}: ${r.stderr}`);
          const now = await files(crashed);
          let changed = 0;
          for (const [p, data] of now) {
            if (isTemp(p)) continue;
            stats.filesChecked++;
            const ok = RECORDS.test(p) ? wholeRecord(p, data) : [want.get(p), before.get(p)].some((w) => w?.equals(data));
            if (!ok) stats.tornFiles++;
            expect(ok, `${family}: ${p} torn after a kill at ${at.toFixed(0)} ms: ${JSON.stringify(data.toString("utf8").slice(-200))}`).toBe(true);
            if (!(prev.get(p)?.equals(data) ?? false)) changed++;
          }
          // Killed between packages: some of the image's packages in, some not yet.
          const got = installed(crashed, family);
          if (r.killed && [...wantPackages.keys()].some((n) => got.has(n)) && [...wantPackages.keys()].some((n) => !got.has(n))) stats.midPackages++;
          if (r.killed && changed > 0) stats.midRun++;
          prev = now;
          // A finished bake leaves nothing to kill: back to the parent image for the next kill.
          if (!r.killed || (k % 2 === 1)) {
            // The killed package tools may still be exiting: retry the removal briefly.
            await fs.rm(crashed, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
            await writeParentImage(crashed, family, mirror);
            prev = before;
          }
        }
        // Converge: one bake, then the bytes and packages of the uninterrupted one; a second bake changes nothing.
        const last = await runBake(crashed, site, null);
        expect(last.code, `${family}: ${last.stderr}`).toBe(0);
        const strip = (m: Map<string, Buffer>) => new Map([...m].filter(([p]) => !isTemp(p) && !RECORDS.test(p)).map(([p, b]) => [p, b.toString("base64")]));
        expect(strip(await files(crashed)), `${family}: converged bytes`).toEqual(strip(want));
        expect(installed(crashed, family), `${family}: converged packages`).toEqual(wantPackages);
        const leftovers = [...(await files(crashed)).keys()].filter((p) => isTemp(p) && !FOREIGN.test(p) && !p.startsWith("run/"));
        expect(leftovers, `${family}: leftovers`).toEqual([]);
        if (family === "ubuntu2204") {
          const audit = spawnSync("dpkg", [`--root=${crashed}`, "--audit"], { encoding: "utf8" });
          expect([audit.status, audit.stdout], `${family}: dpkg --audit`).toEqual([0, ""]);
        }
        // Again: only what a simulated root never settles (CUDA's packages from apt: recorded, not run), as on the reference.
        const changes = async (root: string) => {
          const r = await runBake(root, site, null);
          expect(r.code, r.stderr).toBe(0);
          const { report } = JSON.parse(r.stdout) as { report: { filesWritten: number; downloads: number; applied: Array<{ id: string }> } };
          return { filesWritten: report.filesWritten, downloads: report.downloads, ids: report.applied.map((a) => a.id) };
        };
        const again = await changes(crashed);
        expect(again, `${family}: a converged image changed again`).toEqual(await changes(ref));
        expect(again, family).toMatchObject({ filesWritten: 0, downloads: 0 });
      } finally {
        await mirror.close();
      }
    };
    const t0 = performance.now();
    await Promise.all([lane("rocky9"), lane("ubuntu2204")]);
    expect(stats.tornFiles).toBe(0);
    expect(stats.midRun).toBeGreaterThanOrEqual(1);
    console.log(`crash-bake: ${stats.kills} SIGKILLs (${stats.midRun} after some file had changed, ${stats.midPackages} between packages), ${stats.filesChecked} file checks, ${stats.tornFiles} torn, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 240_000);
});
