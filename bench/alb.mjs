// ALB sync benchmark: against the loopback AWS endpoint with 50 ms per call, for accounts holding
// 1, 50 and 500 load balancers: API calls and wall time of a steady-state tick, of the first (cold)
// tick and of a login-node replacement tick, side by side with the old script's algorithm
// (scripts/alb-cron.sh of the public setup github.com/michaelmayer2/aws-parallelcluster-rsw-minimal:
// every NLB's tags one call each, then four calls; a 300 s timer), and the worst-case time from a
// login node's replacement to its registration behind the ALB.
import { spawn } from "node:child_process";
import { existsSync, promises as fs, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DeregisterTargetsCommand, DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client, RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { bundleSource } from "../test/aws-endpoint/bundle.mjs";
import { measureReplacement } from "./alb-replacement.mjs";
import { median, round } from "./lib.mjs";

const LATENCY_MS = 50;
const SIZES = [1, 50, 500];
const STEADY_RUNS = 5;
const PROCESS_RUNS = 3;
const CLUSTER = "pwb-demo";
const REGION = "eu-west-1";
// The schedule as shipped (units/pwb-alb-sync.timer), so the figure follows the unit.
const timerText = readFileSync("units/pwb-alb-sync.timer", "utf8");
const seconds = (key) => Number(/^(\d+)s$/.exec(new RegExp(`^${key}=(.*)$`, "m").exec(timerText)?.[1] ?? "")?.[1] ?? NaN);
const TIMER = { periodS: seconds("OnUnitActiveSec"), randomizedDelayS: seconds("RandomizedDelaySec") };
if (!Number.isFinite(TIMER.periodS) || !Number.isFinite(TIMER.randomizedDelayS)) throw new Error("cannot read the schedule of units/pwb-alb-sync.timer");
const BASELINE_PERIOD_S = 300; // the old sync-alb-targets.timer: OnUnitActiveSec=5min
const BASELINE_TG_NAME = "pwb-login-nodes-tg";
const CREDENTIALS = { accessKeyId: "AKIDPWBBENCH", secretAccessKey: "pwb-bench-secret" };

const bundle = path.resolve("dist/pwb-agent.cjs");
if (!existsSync(bundle)) throw new Error(`${bundle} missing: run npm run build`);

const lib = await import(
  await bundleSource(
    [
      `export { startAwsEndpoint, seedLoginCluster, replaceLoginNode, seedWorkbenchTargetGroup } from "./test/aws-endpoint/index.ts";`,
      `export { launchLoginNode } from "./test/aws-endpoint/scenarios.ts";`,
      `export { registerSelf, deregisterSelf } from "./agent/alb/self.ts";`,
      `export { ALB_DEFAULTS } from "./agent/alb/settings.ts";`,
      `export { runAlbSync } from "./agent/alb/sync/run.ts";`,
      `export { defaultAlbName } from "./agent/alb/names.ts";`,
      `export { Root } from "./agent/nodefs/root.ts";`,
      `export { writeSimulatedNode } from "./agent/simulation/node.ts";`,
      `export { silentLogger } from "./agent/log.ts";`,
    ].join("\n"),
    "alb-bench",
  )
);

/** The old script, call for call, with the same SDK: scan, four reads, one call per change. */
async function baselineTick(client, cluster, albTgName) {
  // 1. describe-load-balancers --query 'LoadBalancers[?Type==`network`].LoadBalancerArn' (the CLI pages on its own)
  const nlbs = [];
  let marker;
  do {
    const page = await client.send(new DescribeLoadBalancersCommand(marker ? { Marker: marker } : {}));
    nlbs.push(...(page.LoadBalancers ?? []).filter((l) => l.Type === "network").map((l) => l.LoadBalancerArn));
    marker = page.NextMarker;
  } while (marker);
  // 2. describe-tags, one NLB per call; keep those tagged with the cluster name
  let nlbArn;
  for (const arn of nlbs) {
    const out = await client.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    const tags = out.TagDescriptions?.[0]?.Tags ?? [];
    if (tags.some((t) => t.Key === "parallelcluster:cluster-name" && t.Value === cluster)) nlbArn = arn;
  }
  // 3.–6. the NLB's first target group, the ALB target group by name, both target lists (ids only, any state)
  const nlbTg = (await client.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: nlbArn }))).TargetGroups[0].TargetGroupArn;
  const albTg = (await client.send(new DescribeTargetGroupsCommand({ Names: [albTgName] }))).TargetGroups[0].TargetGroupArn;
  const ids = async (arn) => (await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions.map((d) => d.Target.Id).sort();
  const nlbIds = await ids(nlbTg);
  const albIds = await ids(albTg);
  // 7. comm -23 / comm -13: one register-targets per missing id (Port=8787), one deregister-targets per extra id (no port)
  for (const id of nlbIds.filter((i) => !albIds.includes(i))) await client.send(new RegisterTargetsCommand({ TargetGroupArn: albTg, Targets: [{ Id: id, Port: 8787 }] }));
  for (const id of albIds.filter((i) => !nlbIds.includes(i))) await client.send(new DeregisterTargetsCommand({ TargetGroupArn: albTg, Targets: [{ Id: id }] }));
}

function runProcessTick(root, ep) {
  const env = { ...process.env, AWS_ENDPOINT_URL: ep.url, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bundle, "--root", root, "--no-imds", "--json", "alb-sync", "--pool", "login"], { env, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => (code === 0 ? resolve({ ms: performance.now() - t0, report: JSON.parse(out) }) : reject(new Error(`alb-sync exited ${code}: ${out}`))));
  });
}

async function measure(size) {
  const ep = await lib.startAwsEndpoint({ latencyMs: LATENCY_MS, region: REGION });
  // Other clusters' login NLBs first, so a scan has to go through all of them before ours.
  for (let i = 0; i < size - 1; i += 1) {
    ep.model.addLoadBalancer({ name: `other${i}-login-nlb`, type: "network", tags: { "parallelcluster:cluster-name": `other${i}`, "parallelcluster:login-nodes-pool": "login" } });
  }
  const c = lib.seedLoginCluster(ep.model, { cluster: CLUSTER });
  const pool = c.pools[0];
  const baselineTg = lib.seedWorkbenchTargetGroup(ep.model, CLUSTER, BASELINE_TG_NAME);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-alb-bench-"));
  await lib.writeSimulatedNode(dir, { role: "head", clusterName: CLUSTER, region: REGION });
  const root = new lib.Root(dir);
  const opts = {
    root, cluster: CLUSTER, region: REGION, log: lib.silentLogger(), targetGroupName: lib.defaultAlbName(CLUSTER), pools: ["login"],
    aws: { endpoint: ep.url, credentials: CREDENTIALS }, metricsPath: null,
  };
  const calls = async (fn) => {
    const before = ep.calls.length;
    const t0 = performance.now();
    const result = await fn();
    return { calls: ep.calls.length - before, ms: performance.now() - t0, result };
  };

  const cold = await calls(() => lib.runAlbSync(opts));
  const steady = [];
  for (let i = 0; i < STEADY_RUNS; i += 1) steady.push(await calls(() => lib.runAlbSync(opts)));
  const processTicks = [];
  for (let i = 0; i < PROCESS_RUNS; i += 1) processTicks.push((await runProcessTick(dir, ep)).ms);

  // A login node is replaced: the old one drains in the NLB, the new one shows up `initial`.
  const old = pool.instances[0];
  const fresh = lib.replaceLoginNode(ep.model, CLUSTER, pool, old);
  const replacement = await runProcessTick(dir, ep).then(async (r) => ({ ...r, calls: r.report.apiCalls }));
  const albIds = ep.model.targetsOf(c.workbench.arn).map((t) => t.id);
  const converged = albIds.includes(fresh) && !albIds.includes(old);

  // The baseline on the same account, its ALB target group already in step (steady state).
  const client = new ElasticLoadBalancingV2Client({ region: REGION, endpoint: ep.url, credentials: CREDENTIALS });
  for (const t of ep.model.targetsOf(pool.targetGroup.arn)) ep.model.setTargetHealth(baselineTg.arn, t.id, "healthy", { port: 8787 });
  const baseline = [];
  // Its call count is fixed by the account; its time is latency × calls, so one run suffices for the largest.
  for (let i = 0; i < (size >= 500 ? 1 : 3); i += 1) baseline.push(await calls(() => baselineTick(client, CLUSTER, BASELINE_TG_NAME)));
  client.destroy();

  await ep.close();
  rmSync(dir, { recursive: true, force: true });
  const steadyCalls = Math.max(...steady.map((s) => s.calls));
  return {
    size,
    coldCalls: cold.calls,
    steadyCalls,
    steadyMs: median(steady.map((s) => s.ms)),
    processTickMs: median(processTicks),
    replacementCalls: replacement.calls,
    replacementTickMs: replacement.ms,
    converged,
    baselineCalls: Math.max(...baseline.map((b) => b.calls)),
    baselineMs: median(baseline.map((b) => b.ms)),
  };
}

const rows = [];
for (const size of SIZES) rows.push(await measure(size));

const pad = (s, n) => String(s).padStart(n);
console.log(`AWS API latency ${LATENCY_MS} ms per call; alb-sync ticks in process (median of ${STEADY_RUNS}) and as the timer runs them (node dist/pwb-agent.cjs, median of ${PROCESS_RUNS})`);
console.log(`${"LBs".padStart(5)} ${"calls/tick".padStart(11)} ${"tick ms".padStart(8)} ${"process ms".padStart(11)} ${"cold calls".padStart(11)} | ${"baseline calls".padStart(15)} ${"baseline ms".padStart(12)} | ${"calls ratio".padStart(12)} ${"time ratio".padStart(11)}`);
for (const r of rows) {
  console.log(
    `${pad(r.size, 5)} ${pad(r.steadyCalls, 11)} ${pad(round(r.steadyMs, 1), 8)} ${pad(round(r.processTickMs, 0), 11)} ${pad(r.coldCalls, 11)} | ` +
      `${pad(r.baselineCalls, 15)} ${pad(round(r.baselineMs, 0), 12)} | ${pad(round(r.baselineCalls / r.steadyCalls, 1) + "x", 12)} ${pad(round(r.baselineMs / r.steadyMs, 1) + "x", 11)}`,
  );
}
const worstTickS = Math.max(...rows.map((r) => Math.max(r.processTickMs, r.replacementTickMs))) / 1000;
const worstConvergeSeconds = round(TIMER.periodS + TIMER.randomizedDelayS + worstTickS, 2);
const big = rows.at(-1);
const baselineWorstConvergeSeconds = round(BASELINE_PERIOD_S + big.baselineMs / 1000, 2);
console.log(
  `login node replaced: ${rows.map((r) => `${r.size} LBs: ${r.replacementCalls} calls, ${round(r.replacementTickMs, 0)} ms, ${r.converged ? "converged in 1 tick" : "NOT converged"}`).join("; ")}`,
);
console.log(
  `worst case from replacement to registration: ${TIMER.periodS} s period + ${TIMER.randomizedDelayS} s randomized delay + ${round(worstTickS, 2)} s tick = ${worstConvergeSeconds} s; ` +
    `baseline ${BASELINE_PERIOD_S} s + ${round(big.baselineMs / 1000, 2)} s tick (500 LBs) = ${baselineWorstConvergeSeconds} s (${round(baselineWorstConvergeSeconds / worstConvergeSeconds, 1)}x)`,
);
console.log("(the baseline here uses the SDK in one process; the real script starts one AWS CLI process per call, so its ticks are slower still, and its old node is never removed: its IAM policy lacks DeregisterTargets)");

// A login node replaced under load: self-registration and drain (as shipped) vs the reconciler alone.
const direct = (Command) => async (ep, arn, id) => {
  const client = new ElasticLoadBalancingV2Client({ region: REGION, endpoint: ep.url, credentials: CREDENTIALS });
  await client.send(new Command({ TargetGroupArn: arn, Targets: [{ Id: id, Port: 8787 }] }));
  client.destroy();
};
const replacementLib = { ...lib, registerTargetDirect: direct(RegisterTargetsCommand), deregisterTargetDirect: direct(DeregisterTargetsCommand) };
const replacementArgs = { cluster: CLUSTER, region: REGION, credentials: CREDENTIALS, reconcilerWorstS: worstConvergeSeconds };
const graceful = await measureReplacement(replacementLib, { ...replacementArgs, graceful: true });
const reconcilerOnly = await measureReplacement(replacementLib, { ...replacementArgs, graceful: false });
console.log(
  `login node replaced under load (10 requests/s through a simulated ALB, health check every ${lib.ALB_DEFAULTS.healthCheckIntervalSeconds} s, 2 to healthy, ` +
    `${lib.ALB_DEFAULTS.deregistrationDelaySeconds} s deregistration delay, clock ×20): self-registration ${round(graceful.selfRegisterSeconds, 2)} s from Workbench up to healthy in the ALB; ` +
    `failed requests ${graceful.failed} of ${graceful.sent} (drain before stop) vs ${reconcilerOnly.failed} of ${reconcilerOnly.sent} (reconciler alone)`,
);

const result = {
  bench: "alb",
  latencyMs: LATENCY_MS,
  sizes: SIZES,
  callsPerSteadyTick: Math.max(...rows.map((r) => r.steadyCalls)),
  steadyTickMs: Object.fromEntries(rows.map((r) => [r.size, round(r.steadyMs, 1)])),
  processTickMs: Object.fromEntries(rows.map((r) => [r.size, round(r.processTickMs, 0)])),
  coldTickCalls: Object.fromEntries(rows.map((r) => [r.size, r.coldCalls])),
  replacementTickCalls: Math.max(...rows.map((r) => r.replacementCalls)),
  convergedInOneTick: rows.every((r) => r.converged),
  baselineCallsPerTick: big.baselineCalls,
  baselineTickMs: round(big.baselineMs, 0),
  callsRatioAt500: round(big.baselineCalls / big.steadyCalls, 1),
  timeRatioAt500: round(big.baselineMs / big.steadyMs, 1),
  worstConvergeSeconds,
  baselineWorstConvergeSeconds,
  selfRegisterSeconds: round(graceful.selfRegisterSeconds, 2),
  failedRequestsDuringReplacement: graceful.failed,
  requestsDuringReplacement: graceful.sent,
  reconcilerOnlyFailedRequests: reconcilerOnly.failed,
};
console.log(JSON.stringify(result));
// Goals: ≤2 calls per steady tick whatever the account size, convergence within one tick, the reconciler
// alone within 30 s, no request lost while a login node is replaced.
if (result.callsPerSteadyTick > 2 || !result.convergedInOneTick || result.worstConvergeSeconds > 30 || result.failedRequestsDuringReplacement > 0) process.exit(1);
