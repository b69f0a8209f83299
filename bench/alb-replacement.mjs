// A login node replaced under load, on a compressed clock: the loopback endpoint runs AWS's health
// check and drain timing (as `alb ensure` configures them) SPEED times faster than real time, and the
// agent's own code (self-register, self-deregister) runs for real with its production poll intervals
// scaled the same way. A simulated ALB routes each request only to `healthy` targets; a request fails
// when its node is gone before the request ends. Graceful (the shipped units: drain before Workbench
// stops) side by side with the reconciler alone (the node just goes; alb-sync and health checks notice).
import http from "node:http";

const SPEED = 20; // simulated seconds per real second
const API_LATENCY_MS = 50; // simulated
const REQUEST_EVERY_MS = 100; // simulated: 10 requests a second through the ALB
const REQUEST_MS = 2_000; // simulated duration of one request
const PROD_POLL_MS = 1_000; // self-register's poll interval in production (agent/alb/self.ts)
const LIFECYCLE_POLL_MS = 5_000; // pwb-alb-self.service's IMDS lifecycle poll

const sleepReal = (ms) => new Promise((r) => setTimeout(r, ms));

export async function measureReplacement(lib, { cluster, region, credentials, graceful, reconcilerWorstS }) {
  const realStart = Date.now();
  const clock = () => realStart + (Date.now() - realStart) * SPEED;
  const simSleep = (simMs) => sleepReal(simMs / SPEED);
  const up = new Map();
  const gone = new Set();
  const ep = await lib.startAwsEndpoint({ region, latencyMs: API_LATENCY_MS / SPEED, clock, healthChecks: { probe: (id) => up.get(id) === true } });
  const c = lib.seedLoginCluster(ep.model, { cluster, pools: [{ name: "login", nodes: 2 }] });
  const wb = c.workbench;
  const d = lib.ALB_DEFAULTS;
  Object.assign(wb.healthCheck, { intervalSeconds: d.healthCheckIntervalSeconds, timeoutSeconds: d.healthCheckIntervalSeconds - 1, healthyThreshold: 2, unhealthyThreshold: 2 });
  wb.attributes.set("deregistration_delay.timeout_seconds", String(d.deregistrationDelaySeconds));
  const [old, kept] = c.pools[0].instances;
  for (const id of [old, kept]) {
    up.set(id, true);
    ep.model.setTargetHealth(wb.arn, id, "healthy", { port: 8787 });
    ep.model.targetMap(wb.arn).get(`${id}:8787`).registeredAt = clock() - 600_000;
  }

  // Each node's Workbench, for self-register's local health probe.
  const servers = [];
  const workbenchUrl = async (id) => {
    const s = http.createServer((req, res) => res.writeHead(up.get(id) && req.url === "/health-check" ? 200 : 503).end());
    await new Promise((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
    return `http://127.0.0.1:${s.address().port}`;
  };
  const options = async (id) => ({
    cluster, region, instanceId: id, log: lib.silentLogger(), targetGroupName: lib.defaultAlbName(cluster), targetPort: 8787,
    healthCheckPath: "/health-check", workbenchUrl: await workbenchUrl(id), pollMs: PROD_POLL_MS / SPEED,
    aws: { endpoint: ep.url, credentials, maxAttempts: 3 },
  });

  // The simulated ALB and its load.
  const stats = { sent: 0, failed: 0, noHealthyTarget: 0 };
  const inflight = [];
  let rr = 0;
  let loadOn = true;
  const load = (async () => {
    while (loadOn) {
      const now = clock();
      for (let i = inflight.length - 1; i >= 0; i -= 1) if (inflight[i].end <= now) inflight.splice(i, 1);
      const healthy = ep.model.targetsOf(wb.arn).filter((t) => t.state === "healthy").map((t) => t.id);
      stats.sent += 1;
      if (!healthy.length) stats.noHealthyTarget += 1;
      else {
        const node = healthy[rr++ % healthy.length];
        if (gone.has(node)) stats.failed += 1; // routed to a node that is no longer there
        else inflight.push({ node, end: now + REQUEST_MS });
      }
      await simSleep(REQUEST_EVERY_MS);
    }
  })();
  const stop = (id) => {
    const now = clock();
    up.set(id, false);
    gone.add(id);
    for (const r of inflight) if (r.node === id && r.end > now) stats.failed += 1; // cut off mid-request
  };

  // A new node: launched, Workbench up a little later, then it registers itself.
  const fresh = lib.launchLoginNode(ep.model, cluster, c.pools[0], "initial");
  const freshOptions = await options(fresh);
  let selfRegisterSeconds = null;
  if (graceful) {
    const registering = lib.registerSelf(freshOptions);
    await simSleep(3_000);
    up.set(fresh, true);
    const upAt = clock();
    await registering;
    while (!ep.model.targetsOf(wb.arn).some((t) => t.id === fresh && t.state === "healthy")) await simSleep(50);
    selfRegisterSeconds = (clock() - upAt) / 1000;
  } else {
    // Reconciler only: the head node's tick registers it at its worst-case delay.
    up.set(fresh, true);
    await simSleep(reconcilerWorstS * 1000);
    await lib.registerTargetDirect(ep, wb.arn, fresh);
    while (!ep.model.targetsOf(wb.arn).some((t) => t.id === fresh && t.state === "healthy")) await simSleep(50);
  }

  // The Auto Scaling group terminates the old node.
  const oldOptions = await options(old);
  if (graceful) {
    await simSleep(LIFECYCLE_POLL_MS); // the unit notices IMDS turning Terminated
    await lib.deregisterSelf(oldOptions); // deregister, wait out the drain
    stop(old); // only then does Workbench stop
  } else {
    stop(old); // the node goes; the ALB keeps routing to it until health checks or alb-sync take it out
    await simSleep(reconcilerWorstS * 1000);
    await lib.deregisterTargetDirect(ep, wb.arn, old);
  }
  await simSleep(REQUEST_MS * 2);
  loadOn = false;
  await load;
  for (const s of servers) s.close();
  await ep.close();
  return { selfRegisterSeconds, ...stats };
}
