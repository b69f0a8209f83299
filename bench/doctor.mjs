// Doctor benchmark: `doctor` on a converged simulated login node (healthy) and on the same node with
// its database behind a blackhole (a loopback port that accepts and never answers), each as wall time
// and as a ratio to a bare `node -e 0`, measured interleaved. PWB_BENCH_BASE=<old pwb-agent.cjs> adds
// that bundle's times beside ours, in the same interleaved runs.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { median, round, timeRun } from "./lib.mjs";

const RUNS = Number(process.env.PWB_BENCH_RUNS ?? 9);
const SICK_RUNS = Number(process.env.PWB_BENCH_SICK_RUNS ?? 3);
const BUDGET_MS = 10_000;
const bundle = path.resolve("dist/pwb-agent.cjs");
const base = process.env.PWB_BENCH_BASE ? path.resolve(process.env.PWB_BENCH_BASE) : null;
for (const f of [bundle, base]) if (f && !existsSync(f)) throw new Error(`${f} missing: run npm run build`);

const demo = timeRun([process.execPath, bundle, "demo", "--keep"]);
const cluster = /Kept the simulated cluster at (\S+)/.exec(demo.stdout)?.[1];
const root = /login node: ([^)\s]+)\)/.exec(demo.stdout)?.[1];
if (!cluster || !root) throw new Error(`demo did not report its root:\n${demo.stdout}`);
const args = ["--root", root, "--no-imds", "--json", "--quiet"];
// The demo's node is converged; one more apply records it, so doctor's last-apply row passes too.
timeRun([process.execPath, bundle, ...args, "apply"]);

/** One doctor run: wall time and its verdicts (doctor exits 1 when a check fails; that is a result). */
function doctor(cjs) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cjs, ...args, "doctor"], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`doctor exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  return { ms, failed: report.checks.filter((c) => c.status === "fail").map((c) => `${c.id}: ${c.detail}`) };
}

/** Runs each bundle's doctor `runs` times, interleaved with `node -e 0`; medians and the last verdicts. */
function measure(runs) {
  const bundles = [bundle, ...(base ? [base] : [])];
  const node = [];
  const times = bundles.map(() => []);
  const failed = bundles.map(() => []);
  for (let i = 0; i < runs; i++) {
    node.push(timeRun([process.execPath, "-e", "0"]).ms);
    bundles.forEach((b, k) => {
      const r = doctor(b);
      times[k].push(r.ms);
      failed[k] = r.failed;
    });
  }
  return { nodeMs: median(node), ms: times.map(median), failed };
}

const healthy = measure(RUNS);

// The blackhole: accepts the connection (so the client waits for PostgreSQL's answer) and never answers.
const hole = spawn(process.execPath, ["-e", "const s=require('net').createServer(()=>{}).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise((resolve, reject) => {
  hole.stdout.once("data", (b) => resolve(Number(String(b).trim())));
  hole.once("exit", (code) => reject(new Error(`blackhole exited ${code}`)));
});
const dbConf = path.join(root, "opt/rstudio/etc/rstudio/database.conf");
writeFileSync(dbConf, readFileSync(dbConf, "utf8").replace(/@[^/]+\//, `@127.0.0.1:${port}/`));
let sick;
try {
  sick = measure(SICK_RUNS);
} finally {
  hole.kill();
  rmSync(cluster, { recursive: true, force: true });
}

const result = {
  bench: "doctor",
  runs: RUNS,
  sickRuns: SICK_RUNS,
  nodeMs: round(healthy.nodeMs),
  healthyMs: round(healthy.ms[0]),
  healthyVsNode: round(healthy.ms[0] / healthy.nodeMs),
  healthyFailed: healthy.failed[0].length,
  unhealthyMs: round(sick.ms[0]),
  unhealthyVsBudget: round(sick.ms[0] / BUDGET_MS),
  unhealthyFailed: sick.failed[0].length,
  ...(base
    ? { baseHealthyMs: round(healthy.ms[1]), baseUnhealthyMs: round(sick.ms[1]), healthyVsBase: round(healthy.ms[0] / healthy.ms[1]), unhealthyVsBase: round(sick.ms[0] / sick.ms[1]) }
    : {}),
};
console.log(`node -e 0                       ${result.nodeMs} ms (median of ${RUNS})`);
console.log(`doctor, healthy login node      ${result.healthyMs} ms = ${result.healthyVsNode}x node -e 0; ${result.healthyFailed} checks failed`);
console.log(`doctor, database blackholed     ${result.unhealthyMs} ms = ${result.unhealthyVsBudget}x the ${BUDGET_MS / 1000} s budget (median of ${SICK_RUNS}); failed: ${sick.failed[0].join("; ")}`);
if (base) console.log(`base bundle ${base}: healthy ${result.baseHealthyMs} ms (ours/base ${result.healthyVsBase}), blackholed ${result.baseUnhealthyMs} ms (ours/base ${result.unhealthyVsBase})`);
console.log(JSON.stringify(result));
// The goals: a healthy node with no failures in seconds; an unhealthy one failing its database within the budget.
if (result.healthyFailed || result.healthyMs > 2_000 || !sick.failed[0].some((f) => f.startsWith("workbench.database")) || result.unhealthyMs > BUDGET_MS) process.exit(1);
