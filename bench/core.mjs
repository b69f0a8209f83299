// Core benchmark: (a) `detect` wall time of the single executable and of the bundle, each as a
// ratio to a bare `node -e 0` (median of RUNS interleaved runs); (b) a no-op `apply` on a
// converged simulated login node: wall time, files written and services restarted (both must be 0),
// its system calls (`strace -f -c`) and peak memory (`/usr/bin/time`), and beside it, interleaved, the
// same apply by the bundle and by PWB_BENCH_BASE=<an older pwb-agent.cjs> when given.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { interleaved, median, round, timeRun } from "./lib.mjs";

const RUNS = Number(process.env.PWB_BENCH_RUNS ?? 25);
const baseBundle = process.env.PWB_BENCH_BASE ? path.resolve(process.env.PWB_BENCH_BASE) : null;
if (baseBundle && !existsSync(baseBundle)) throw new Error(`${baseBundle} missing`);
const sea = path.resolve("dist/pwb-agent");
const bundle = path.resolve("dist/pwb-agent.cjs");
for (const f of [sea, bundle]) if (!existsSync(f)) throw new Error(`${f} missing: run npm run build`);

// A converged simulated login node (with the Workbench configuration), made by the agent's own demo.
const demo = timeRun([sea, "demo", "--keep"]);
const base = /Kept the simulated cluster at (\S+)/.exec(demo.stdout)?.[1];
const root = /login node: ([^)\s]+)\)/.exec(demo.stdout)?.[1];
if (!base || !root) throw new Error(`demo did not report its root:\n${demo.stdout}`);

const detectArgs = ["--root", root, "--no-imds", "--json", "detect"];
const [nodeMs, seaMs, bundleMs] = interleaved(
  [[process.execPath, "-e", "0"], [sea, ...detectArgs], [process.execPath, bundle, ...detectArgs]],
  RUNS,
);

const applyArgs = ["--root", root, "--no-imds", "--json", "--quiet", "apply"];
const noop = [];
let filesWritten = 0;
let restarts = 0;
let changes = 0;
for (let i = 0; i < RUNS; i++) {
  const r = timeRun([sea, ...applyArgs]);
  const report = JSON.parse(r.stdout);
  noop.push(r.ms);
  filesWritten += report.filesWritten;
  restarts += report.restarted.length;
  changes += report.changes;
}
// The bundle's no-op apply against the base bundle's, interleaved (both are no-ops on a converged node).
const bundles = [bundle, ...(baseBundle ? [baseBundle] : [])];
const bundleNoop = interleaved(bundles.map((b) => [process.execPath, b, ...applyArgs]), RUNS);

/** One run's system calls by `strace -f -c`: the total and the busiest few, or why not measured. */
function syscalls(argv) {
  const have = spawnSync("strace", ["-V"], { encoding: "utf8" });
  if (have.error) return { note: "strace not installed (apt-get install strace)" };
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-strace-"));
  try {
    const out = path.join(dir, "counts");
    spawnSync("strace", ["-f", "-c", "-o", out, ...argv], { encoding: "utf8" });
    const rows = readFileSync(out, "utf8").split("\n").map((l) => l.trim().split(/\s+/)).filter((c) => c.length >= 5 && /^\d+$/.test(c[3]));
    const byName = Object.fromEntries(rows.map((c) => [c[c.length - 1], Number(c[3])]));
    const total = byName.total ?? 0;
    delete byName.total;
    const top = Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 5));
    return { total, top };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak resident memory of one run in MB by `/usr/bin/time`, or null where it is not installed. */
function peakMb(argv) {
  if (!existsSync("/usr/bin/time")) return null;
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...argv], { encoding: "utf8" });
  const kb = Number(r.stderr.trim().split("\n").pop());
  return Number.isFinite(kb) ? round(kb / 1024, 1) : null;
}

const measured = bundles.map((b) => ({ sys: syscalls([process.execPath, b, ...applyArgs]), peak: peakMb([process.execPath, b, ...applyArgs]) }));
const nodePeak = peakMb([process.execPath, "-e", "0"]);
rmSync(base, { recursive: true, force: true });

const result = {
  bench: "core",
  runs: RUNS,
  nodeMs: round(nodeMs),
  detectSeaMs: round(seaMs),
  detectBundleMs: round(bundleMs),
  detectVsNode: round(seaMs / nodeMs),
  bundleVsNode: round(bundleMs / nodeMs),
  noopApplyMs: round(median(noop)),
  noopChanges: changes,
  noopFilesWritten: filesWritten,
  noopRestarts: restarts,
  noopBundleMs: round(bundleNoop[0]),
  noopVsNode: round(bundleNoop[0] / nodeMs),
  noopSyscalls: measured[0].sys.total ?? null,
  noopPeakMb: measured[0].peak,
  nodePeakMb: nodePeak,
  ...(baseBundle
    ? { baseNoopMs: round(bundleNoop[1]), noopVsBase: round(bundleNoop[0] / bundleNoop[1]), baseNoopSyscalls: measured[1].sys.total ?? null, baseNoopPeakMb: measured[1].peak }
    : {}),
};
console.log(`node -e 0                 ${result.nodeMs} ms (median of ${RUNS})`);
console.log(`detect, single executable ${result.detectSeaMs} ms = ${result.detectVsNode}x node -e 0`);
console.log(`detect, node bundle.cjs   ${result.detectBundleMs} ms = ${result.bundleVsNode}x node -e 0`);
console.log(`no-op apply (login node)  ${result.noopApplyMs} ms; over ${RUNS} runs: ${changes} changes, ${filesWritten} files written, ${restarts} restarts`);
console.log(`no-op apply, node bundle.cjs ${result.noopBundleMs} ms = ${result.noopVsNode}x node -e 0 (interleaved${baseBundle ? " with the base bundle" : ""})`);
const sysLine = (m) => (m.sys.note ?? `${m.sys.total} system calls (strace -f -c; busiest: ${Object.entries(m.sys.top).map(([k, v]) => `${k} ${v}`).join(", ")})`);
console.log(`  ${sysLine(measured[0])}; peak memory ${measured[0].peak ?? "not measured (/usr/bin/time not installed)"} MB (node -e 0: ${nodePeak} MB)`);
if (baseBundle) {
  console.log(`base bundle ${baseBundle}: no-op apply ${result.baseNoopMs} ms (ours/base ${result.noopVsBase})`);
  console.log(`  ${sysLine(measured[1])}; peak memory ${measured[1].peak} MB`);
}
console.log(JSON.stringify(result));
if (filesWritten || restarts || changes) process.exit(1);
