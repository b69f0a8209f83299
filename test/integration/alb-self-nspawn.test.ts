// A login node under a REAL systemd (systemd-nspawn): `pwb-agent apply` installs and starts
// pwb-alb-self.service as shipped; the node registers itself once its Workbench answers, and stopping
// Workbench first deregisters it and waits out the ALB's drain. Inside the container (loopback only)
// run the AWS endpoint (ELBv2 and IMDS on one port, with the instance role's credentials) and a
// stand-in Workbench, each as a unit; a small control port reports the endpoint's call log.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleSource } from "../aws-endpoint/bundle.mjs";
import { requireBuilt } from "../helpers/cli.js";
import { Container, requireNspawn, uniqueMachineName } from "../helpers/nspawn.js";
import type { Run } from "../helpers/systemd.js";

const SELF = "pwb-alb-self.service";
const DRAIN_MS = 3_000;

/** The endpoint, seeded with cluster c1 and this node (IMDS's instance id) healthy in its login pool. */
const ENDPOINT_SOURCE = `
import http from "node:http";
import { startAwsEndpoint } from "./test/aws-endpoint/index.js";
import { launchLoginNode, seedLoginCluster } from "./test/aws-endpoint/scenarios.js";
const ep = await startAwsEndpoint({ port: 9000, drainMs: ${DRAIN_MS} });
const cluster = seedLoginCluster(ep.model, { cluster: "c1" });
ep.model.imds.instanceId = launchLoginNode(ep.model, "c1", cluster.pools[0], "healthy");
ep.model.imds.targetLifecycleState = "InService";
// Control: the Workbench target group's targets and the ELB calls, with their times.
http.createServer((req, res) => {
  const url = req.url ?? "/";
  if (url.startsWith("/lifecycle/")) ep.model.imds.targetLifecycleState = url.slice("/lifecycle/".length);
  const targets = ep.model.targetsOf(cluster.workbench.arn);
  const calls = ep.calls.filter((c) => c.service === "elbv2").map((c) => ({ action: c.action, at: c.startedAt, status: c.status, params: c.params }));
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ self: ep.model.imds.instanceId, targets, calls, now: Date.now() }));
}).listen(9001, "127.0.0.1");
`;

/** Workbench's stand-in: /health-check answers 200 a second after start; a stop is written down with its time. */
const WORKBENCH_SOURCE = `
import http from "node:http";
import { writeFileSync } from "node:fs";
const started = Date.now();
const server = http.createServer((req, res) => res.writeHead(req.url === "/health-check" && Date.now() - started > 1000 ? 200 : 503).end());
server.listen(8787, "127.0.0.1");
process.on("SIGTERM", () => { writeFileSync("/run/workbench-stopped", String(Date.now())); process.exit(0); });
`;

const unit = (what: string, exec: string) => `[Unit]\nDescription=${what}\n[Service]\nExecStart=${exec}\n`;

let agentBinary = "";
let endpointBundle = "";
let setupError: unknown = null;
let c: Container | undefined;

beforeAll(async () => {
  try {
    requireNspawn();
    agentBinary = requireBuilt("dist/pwb-agent");
    endpointBundle = await readFile(await bundleSource(ENDPOINT_SOURCE, "nspawn-endpoint"), "utf8");
    c = await Container.boot({ name: uniqueMachineName("self"), agentBinary });
  } catch (e) {
    setupError = e;
  }
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

const box = (): Container => {
  if (setupError) throw setupError;
  return c!;
};

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

interface Control {
  self: string;
  targets: Array<{ id: string; port: number; state: string }>;
  calls: Array<{ action: string; at: number; status: number; params: Record<string, string> }>;
  now: number;
}

async function control(c: Container, path = "/"): Promise<Control> {
  const r = ok(await c.exec(["/usr/bin/node", "-e", `fetch('http://127.0.0.1:9001${path}').then((r) => r.text()).then((t) => process.stdout.write(t))`]), "control");
  return JSON.parse(r.stdout) as Control;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(200)) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("login node under real systemd: self-registration and drain before Workbench stops", () => {
  it("apply installs and starts pwb-alb-self.service; the node is registered once Workbench answers", async () => {
    const c = box();
    await c.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "LoginNode", stack_name: "c1", region: "eu-west-1" } }));
    await c.writeFile("/opt/test/endpoint.mjs", endpointBundle);
    await c.writeFile("/opt/test/workbench.mjs", WORKBENCH_SOURCE);
    await c.writeFile("/etc/systemd/system/test-aws.service", unit("loopback AWS endpoint", "/usr/bin/node /opt/test/endpoint.mjs"));
    await c.writeFile("/etc/systemd/system/rstudio-server.service", unit("Workbench stand-in", "/usr/bin/node /opt/test/workbench.mjs"));
    // The only test-specific setting: where AWS and IMDS are. Credentials come from the instance role via IMDS.
    await c.writeFile(
      `/etc/systemd/system/${SELF}.d/loopback-aws.conf`,
      "[Service]\nEnvironment=AWS_ENDPOINT_URL=http://127.0.0.1:9000 AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9000\n",
    );
    ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    ok(await c.exec(["systemctl", "start", "test-aws.service", "rstudio-server.service"]), "start endpoint and Workbench");
    await until("the endpoint", async () => ((await c.exec(["/usr/bin/node", "-e", "fetch('http://127.0.0.1:9001').then(()=>process.exit(0),()=>process.exit(1))"])).code === 0 ? true : undefined));

    const r = ok(await c.exec(["/usr/bin/pwb-agent", "--json", "--no-imds", "apply"], 60_000), "pwb-agent apply");
    expect((JSON.parse(r.stdout) as { applied: Array<{ id: string }> }).applied.map((a) => a.id)).toContain(`service:${SELF}`);
    expect(ok(await c.exec(["systemctl", "is-enabled", SELF]), "is-enabled").stdout.trim()).toBe("enabled");

    const registered = await until("self-registration", async () => {
      const s = await control(c);
      return s.targets.find((t) => t.id === s.self && t.port === 8787);
    });
    expect(registered.state).toBe("initial");
    const s = await control(c);
    expect(s.calls.filter((x) => x.action === "RegisterTargets").map((x) => x.params["Targets.member.1.Id"])).toEqual([s.self]);

    // The unit's sandbox is in force on the running agent (not just written in the unit file).
    const pid = ok(await c.exec(["systemctl", "show", "--value", "-p", "MainPID", SELF]), "MainPID").stdout.trim();
    const status = ok(await c.exec(["cat", `/proc/${pid}/status`]), "status").stdout;
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapBnd:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    const mounts = ok(await c.exec(["cat", `/proc/${pid}/mountinfo`]), "mountinfo").stdout.split("\n");
    for (const at of ["/", "/run", "/usr"]) {
      const mount = mounts.map((l) => l.split(" ")).filter((f) => f[4] === at).at(-1);
      expect([at, mount?.[5]?.split(",").includes("ro")]).toEqual([at, true]);
    }
  }, 90_000);

  it("stopping Workbench deregisters the node and waits out the drain first; Workbench stops after", async () => {
    const c = box();
    const before = await control(c);
    ok(await c.exec(["systemctl", "stop", "rstudio-server.service"], 60_000), "stop Workbench");
    const after = await control(c);
    const dereg = after.calls.find((x) => x.action === "DeregisterTargets" && x.at >= before.now);
    expect(dereg?.params["Targets.member.1.Id"]).toBe(after.self);
    const stoppedAt = Number(await c.readFile("/run/workbench-stopped"));
    // Workbench got its SIGTERM only after the ALB's drain (3 s in this endpoint) was over.
    expect(stoppedAt - dereg!.at).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(after.targets.find((t) => t.id === after.self)).toBeUndefined();
    expect((await c.exec(["systemctl", "is-active", SELF])).stdout.trim()).toBe("inactive");
    const log = ok(await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", SELF]), "journalctl").stdout;
    expect(log).toContain("waiting while the ALB drains it");
    expect(log).toContain("drained from the Workbench ALB");
  }, 90_000);

  it("Workbench started again brings the node back; the Auto Scaling group terminating it (IMDS) drains it at once", async () => {
    const c = box();
    ok(await c.exec(["systemctl", "start", "rstudio-server.service"]), "start Workbench");
    // Pulled in by Workbench itself (WantedBy=rstudio-server.service), not by a later apply.
    await until(`${SELF} active`, async () => ((await c.exec(["systemctl", "is-active", SELF])).stdout.trim() === "active" ? true : undefined), 10_000);
    await until("registration after the restart", async () => {
      const s = await control(c);
      return s.targets.find((t) => t.id === s.self) ? true : undefined;
    });
    const mark = (await control(c, "/lifecycle/Terminated")).now;
    const gone = await until("the drain on Terminated", async () => {
      const s = await control(c);
      const dereg = s.calls.find((x) => x.action === "DeregisterTargets" && x.at >= mark);
      return dereg && !s.targets.some((t) => t.id === s.self) ? dereg : undefined;
    }, 30_000);
    expect(gone.params["Targets.member.1.Id"]).toBe((await control(c)).self);
    // Workbench itself keeps running until the node shuts down: it is simply no longer routed to.
    expect((await c.exec(["systemctl", "is-active", "rstudio-server.service"])).stdout.trim()).toBe("active");
    const log = ok(await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", SELF]), "journalctl").stdout;
    expect(log).toContain("the Auto Scaling group is terminating this node: draining it from the Workbench ALB");
  }, 90_000);
});
