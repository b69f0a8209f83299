// Core benchmark: (a) `detect` wall time of the single executable and of the bundle, each as a
// ratio to a bare `node -e 0` (median of RUNS interleaved runs); (b) a no-op `apply` on a
// converged simulated login node: wall time, files written and services restarted (both must be 0).
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { interleaved, median, round, timeRun } from "./lib.mjs";

const RUNS = 25;
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
};
console.log(`node -e 0                 ${result.nodeMs} ms (median of ${RUNS})`);
console.log(`detect, single executable ${result.detectSeaMs} ms = ${result.detectVsNode}x node -e 0`);
console.log(`detect, node bundle.cjs   ${result.detectBundleMs} ms = ${result.bundleVsNode}x node -e 0`);
console.log(`no-op apply (login node)  ${result.noopApplyMs} ms; over ${RUNS} runs: ${changes} changes, ${filesWritten} files written, ${restarts} restarts`);
console.log(JSON.stringify(result));
if (filesWritten || restarts || changes) process.exit(1);
