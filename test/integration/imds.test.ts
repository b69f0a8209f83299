import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Root } from "../../agent/nodefs/root.js";
import { clearImdsTokenCache, gatherFacts, type GatherOptions } from "../../agent/facts/index.js";
import { silentLogger } from "../../agent/log.js";
import { writeSimulatedNode, type SimNodeOptions } from "../../agent/simulation/node.js";
import { DEFAULT_IDENTITY, closedEndpoint, startImdsServer, type FakeImds } from "../helpers/imds-server.js";

const ENV_KEYS = ["AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT"] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const dirs: string[] = [];
const servers: FakeImds[] = [];
const NO_IDENTITY = { id: null, type: null, region: null, availabilityZone: null, source: "none" };

beforeEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
  clearImdsTokenCache();
});
afterEach(async () => {
  for (const k of ENV_KEYS) if (savedEnv[k] === undefined) delete process.env[k];
  else process.env[k] = savedEnv[k];
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function simRoot(o: Partial<SimNodeOptions> = {}): Promise<Root> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-imds-"));
  dirs.push(dir);
  await writeSimulatedNode(dir, { role: "compute", ...o });
  return new Root(dir);
}

async function server(...args: Parameters<typeof startImdsServer>): Promise<FakeImds> {
  const s = await startImdsServer(...args);
  servers.push(s);
  return s;
}

/** A logger that keeps its debug lines, to check what a failure says. */
function capture(): { log: GatherOptions["log"]; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

describe("the loopback IMDSv2 server", () => {
  it("behaves like IMDSv2: token first, TTL header required, // tolerated", async () => {
    const s = await server();
    expect((await fetch(`${s.endpoint}/latest/dynamic/instance-identity/document`)).status).toBe(401);
    expect((await fetch(`${s.endpoint}/latest/api/token`, { method: "PUT" })).status).toBe(400);
    const tokenRes = await fetch(`${s.endpoint}//latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    expect(tokenRes.status).toBe(200);
    const token = await tokenRes.text();
    const h = { "x-aws-ec2-metadata-token": token };
    expect(await (await fetch(`${s.endpoint}//latest/meta-data/instance-id`, { headers: h })).text()).toBe(DEFAULT_IDENTITY.instanceId);
    expect((await fetch(`${s.endpoint}/latest/meta-data/nope`, { headers: h })).status).toBe(404);
    expect((await fetch(`${s.endpoint}/latest/meta-data/instance-id`, { headers: { "x-aws-ec2-metadata-token": "forged" } })).status).toBe(401);
    expect(s.requests.map((r) => r.status)).toEqual([401, 400, 200, 200, 404, 401]);
  });
});

describe("gatherFacts with IMDS", () => {
  it("reads the instance identity over IMDSv2", async () => {
    const s = await server({ identity: { instanceId: "i-0feedface0000001", instanceType: "c6i.4xlarge", region: "sa-east-1", availabilityZone: "sa-east-1c" } });
    const f = await gatherFacts({ root: await simRoot({ region: "eu-west-1" }), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.instance).toEqual({ id: "i-0feedface0000001", type: "c6i.4xlarge", region: "sa-east-1", availabilityZone: "sa-east-1c", source: "imds" });
    expect(f.cluster.region).toBe("eu-west-1"); // the node's files win for the cluster
    const put = s.requests.find((r) => r.method === "PUT");
    expect(put).toMatchObject({ path: "/latest/api/token", ttl: "21600", status: 200 });
    expect(s.requests.find((r) => r.method === "GET")).toMatchObject({ path: "/latest/dynamic/instance-identity/document", status: 200 });
  });

  it("fills the cluster region from IMDS when the node files lack one", async () => {
    const s = await server();
    const root = await simRoot({ factFiles: "none" });
    await fs.mkdir(path.join(root.dir, "/etc/parallelcluster"), { recursive: true });
    await fs.writeFile(path.join(root.dir, "/etc/parallelcluster/cfnconfig"), "cfn_node_type=ComputeFleet\n");
    const f = await gatherFacts({ root, imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.cluster.region).toBe(DEFAULT_IDENTITY.region);
  });

  it("fetches the token once and reuses it", async () => {
    const s = await server();
    const opts = { root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() };
    await gatherFacts(opts);
    expect(s.count("PUT")).toBe(1);
    expect(s.count("GET")).toBe(1);
    const again = await gatherFacts(opts);
    expect(again.instance.source).toBe("imds");
    expect(s.count("PUT")).toBe(1); // cached for the process
    expect(s.count("GET")).toBe(2);
  });

  it("gets a fresh token once when the cached one is refused", async () => {
    const s = await server();
    const opts = { root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() };
    await gatherFacts(opts);
    s.revokeTokens();
    const f = await gatherFacts(opts);
    expect(f.instance.id).toBe(DEFAULT_IDENTITY.instanceId);
    expect(s.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 200", "GET 200", "GET 401", "PUT 200", "GET 200"]);
  });

  it("returns fast with empty identity when nothing listens", async () => {
    const endpoint = await closedEndpoint();
    const { log, lines } = capture();
    // A budget far longer than the bound: a refused connection ends the wait, the budget does not.
    const [f, ms] = await timed(gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint, budgetMs: 20_000 }, log }));
    expect(f.instance).toEqual(NO_IDENTITY);
    expect(f.role).toBe("compute"); // the rest of the facts are unaffected
    expect(ms).toBeLessThan(10_000);
    const line = lines.find((l) => String(l.msg).startsWith("IMDS unavailable"));
    expect(line).toMatchObject({ level: 20, reason: "ECONNREFUSED" });
  });

  it("gives up on a hanging IMDS within the budget", async () => {
    const s = await server({ hang: true });
    const budgetMs = 300;
    const { log, lines } = capture();
    const [f, ms] = await timed(gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint, budgetMs }, log }));
    expect(f.instance).toEqual(NO_IDENTITY);
    expect(s.count("PUT")).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(budgetMs - 20);
    expect(ms).toBeLessThan(budgetMs + 5_000); // gives up (a loaded machine may add seconds, never a hang)
    expect(lines.find((l) => String(l.msg).startsWith("IMDS unavailable"))?.reason).toBe(`no answer within ${budgetMs} ms`);
  });

  it("counts the token and the document against one budget", async () => {
    // Each answer alone fits in the budget; both together do not.
    const s = await server({ delayMs: 200 });
    const [f, ms] = await timed(gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint, budgetMs: 300 }, log: silentLogger() }));
    expect(f.instance.source).toBe("none");
    expect(s.count("PUT")).toBe(1);
    expect(s.count("GET")).toBe(1);
    expect(ms).toBeLessThan(300 + 5_000); // the source "none" above is the proof; this only says it ended
  });

  it("starts IMDS before the file reads, not after them", async () => {
    const s = await server({ delayMs: 150 });
    // No role files: the reads fail at once. The token request is already out by then.
    const root = await simRoot({ factFiles: "none" });
    await expect(gatherFacts({ root, imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() })).rejects.toThrow(/--role/);
    await vi.waitFor(() => expect(s.count("PUT")).toBe(1), { timeout: 500, interval: 10 });
    // And with the files there, the IMDS wait is the whole cost: 2 answers × 150 ms, nothing added in series.
    const [f, ms] = await timed(gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() }));
    expect(f.instance.source).toBe("imds");
    expect(ms).toBeLessThan(300 + 5_000);
  });

  it.each([
    ["a 404 document", { identityStatus: 404 }],
    ["a document that is not JSON", { identityBody: "<html>captive portal</html>" }],
    ["a JSON document that is not an object", { identityBody: "null" }],
  ])("leaves identity empty on %s", async (_name, options) => {
    const s = await server(options);
    const f = await gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.instance).toEqual(NO_IDENTITY);
    expect(s.count("GET")).toBe(1);
  });

  it("falls back to slurm_node_spec.json when IMDS has nothing", async () => {
    const root = await simRoot();
    await fs.mkdir(path.join(root.dir, "/etc/parallelcluster/slurm_plugin"), { recursive: true });
    const spec = { region: "us-east-1", "cluster-name": "pwb-demo", "instance-id": "i-0spec", compute: { "queue-name": "interactive", "instance-id": "i-0spec", "instance-type": "r6i.large", "availability-zone": "us-east-1d" } };
    await fs.writeFile(path.join(root.dir, "/etc/parallelcluster/slurm_plugin/slurm_node_spec.json"), JSON.stringify(spec));
    const f = await gatherFacts({ root, imds: { enabled: true, endpoint: await closedEndpoint() }, log: silentLogger() });
    expect(f.instance).toEqual({ id: "i-0spec", type: "r6i.large", region: "us-east-1", availabilityZone: "us-east-1d", source: "node-files" });
    expect(f.sources).toContain("/etc/parallelcluster/slurm_plugin/slurm_node_spec.json");
  });

  it("takes the GPU hint from the IMDS instance type when PCI sysfs is absent", async () => {
    const s = await server({ identity: { ...DEFAULT_IDENTITY, instanceType: "p4d.24xlarge" } });
    const root = await simRoot();
    await fs.rm(path.join(root.dir, "/sys/bus"), { recursive: true });
    const f = await gatherFacts({ root, imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.gpu?.evidence).toEqual(["instance-type"]);
  });

  it("asks nothing when disabled by option", async () => {
    const s = await server();
    const f = await gatherFacts({ root: await simRoot(), imds: { enabled: false, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.instance.source).toBe("none");
    expect(s.requests).toHaveLength(0);
  });

  it("asks nothing when AWS_EC2_METADATA_DISABLED=true", async () => {
    const s = await server();
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    const f = await gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: s.endpoint }, log: silentLogger() });
    expect(f.instance.source).toBe("none");
    expect(s.requests).toHaveLength(0);
  });

  it("uses AWS_EC2_METADATA_SERVICE_ENDPOINT when no endpoint is given", async () => {
    const s = await server();
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `${s.endpoint}/`;
    const f = await gatherFacts({ root: await simRoot(), imds: { enabled: true }, log: silentLogger() });
    expect(f.instance.id).toBe(DEFAULT_IDENTITY.instanceId);
    expect(s.count("PUT")).toBe(1);
  });

  it("treats a malformed endpoint as unavailable", async () => {
    const { log, lines } = capture();
    const f = await gatherFacts({ root: await simRoot(), imds: { enabled: true, endpoint: "not a url" }, log });
    expect(f.instance).toEqual(NO_IDENTITY);
    expect(lines.some((l) => String(l.msg).startsWith("IMDS unavailable"))).toBe(true);
  });
});
