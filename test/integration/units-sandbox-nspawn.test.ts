// The sandboxed head-node units still do their job under a REAL systemd (systemd-nspawn):
// pwb-alb-sync.service as shipped registers the healthy login nodes through the loopback AWS
// endpoint and writes its state and metrics (the only paths its sandbox leaves writable);
// pwb-agent-doctor.service as shipped reaches the same verdicts as the same doctor run outside any
// sandbox. And MemoryDenyWriteExecute=yes, left out of every unit, really kills the agent (Node's JIT).
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { osFromRelease } from "../../agent/facts/os.js";
import { chooseTextfileDir } from "../../agent/metrics/textfile-dir.js";
import { bundleSource } from "../aws-endpoint/bundle.mjs";
import { requireBuilt } from "../helpers/cli.js";
import { Container, requireNspawn, uniqueMachineName } from "../helpers/nspawn.js";
import { shippedUnits, type Run } from "../helpers/systemd.js";
import { MINIMAL } from "../helpers/workbench.js";

const SYNC = "pwb-alb-sync.service";
const DOCTOR = "pwb-agent-doctor.service";
const UNIT_DIR = "/usr/lib/systemd/system";
const LOOPBACK_AWS = "[Service]\nEnvironment=AWS_ENDPOINT_URL=http://127.0.0.1:9000 AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9000\n";

/** Cluster c1: one login pool, two healthy nodes behind its NLB, an empty Workbench target group. */
const ENDPOINT_SOURCE = `
import http from "node:http";
import { startAwsEndpoint } from "./test/aws-endpoint/index.js";
import { seedLoginCluster } from "./test/aws-endpoint/scenarios.js";
const ep = await startAwsEndpoint({ port: 9000 });
const cluster = seedLoginCluster(ep.model, { cluster: "c1" });
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
    login: cluster.pools[0].instances,
    workbench: ep.model.targetsOf(cluster.workbench.arn).map((t) => t.id),
  }));
}).listen(9001, "127.0.0.1");
`;

let c: Container | undefined;
let units: Record<string, string> = {};
let endpointBundle = "";
let setupError: unknown = null;

beforeAll(async () => {
  try {
    requireNspawn();
    const agentBinary = requireBuilt("dist/pwb-agent");
    units = await shippedUnits();
    endpointBundle = await readFile(await bundleSource(ENDPOINT_SOURCE, "nspawn-sandbox-endpoint"), "utf8");
    c = await Container.boot({ name: uniqueMachineName("sandbox"), agentBinary });
    const box = c;
    await box.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "HeadNode", stack_name: "c1", region: "eu-west-1" } }));
    await box.writeFile("/etc/pwb-agent/site.yaml", MINIMAL);
    await box.writeFile("/opt/test/endpoint.mjs", endpointBundle);
    await box.writeFile("/etc/systemd/system/test-aws.service", "[Unit]\nDescription=loopback AWS endpoint\n[Service]\nExecStart=/usr/bin/node /opt/test/endpoint.mjs\n");
    for (const u of [SYNC, DOCTOR]) await box.writeFile(`${UNIT_DIR}/${u}`, units[u]!);
    await box.writeFile(`/etc/systemd/system/${SYNC}.d/loopback-aws.conf`, LOOPBACK_AWS);
    ok(await box.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    ok(await box.exec(["systemctl", "start", "test-aws.service"]), "start endpoint");
    for (let i = 0; i < 100 && !(await control(box)); i += 1) await new Promise((r) => setTimeout(r, 100));
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

async function control(c: Container): Promise<{ login: string[]; workbench: string[] } | undefined> {
  const r = await c.exec(["/usr/bin/node", "-e", "fetch('http://127.0.0.1:9001').then((r) => r.text()).then((t) => process.stdout.write(t))"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { login: string[]; workbench: string[] }) : undefined;
}

const show = async (c: Container, unit: string, prop: string) => (await c.exec(["systemctl", "show", "--value", "-p", prop, unit])).stdout.trim();

describe("sandboxed head-node units under real systemd", () => {
  it(`${SYNC} as shipped registers the healthy login nodes and writes its state and metrics`, async () => {
    const c = box();
    expect((await control(c))!.workbench).toEqual([]);
    const started = await c.exec(["systemctl", "start", SYNC], 60_000);
    const journal = async (u: string) => (await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", u])).stdout;
    expect(started.code, await journal(SYNC)).toBe(0);
    expect(await show(c, SYNC, "Result")).toBe("success");
    const seen = (await control(c))!;
    expect(seen.workbench.sort()).toEqual(seen.login.sort());
    expect(seen.login).toHaveLength(2);
    const state = JSON.parse(await c.readFile("/var/lib/pwb-agent/alb-sync.json")) as { lastSuccess: number | null };
    expect(state.lastSuccess).toBeGreaterThan(0);
    // Where this container's exporter would read it (no exporter runs here: its OS's package default),
    // inside the directories the sandbox lets the sync write.
    const { dir } = chooseTextfileDir(osFromRelease(await c.readFile("/usr/lib/os-release")).family, { unit: null, packaged: false, flag: null }, null);
    expect(await c.readFile(`${dir}/pwb_alb_sync.prom`)).toMatch(/^pwb_alb_sync_/m);
    const mode = ok(await c.exec(["stat", "-c", "%a", `${dir}/pwb_alb_sync.prom`]), "stat").stdout.trim();
    expect(mode).toBe("644"); // node_exporter, another user, reads it
    // A second tick finds everything in place and still succeeds (the lock's directory survives the first).
    ok(await c.exec(["systemctl", "start", SYNC], 60_000), `start ${SYNC} again`);
    expect(await show(c, SYNC, "Result")).toBe("success");
    const log = ok(await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", SYNC]), "journalctl").stdout;
    expect(log).not.toMatch(/EROFS|EACCES|EPERM|read-only file system/i);
  }, 120_000);

  it("MemoryDenyWriteExecute=yes kills the agent: why no unit sets it", async () => {
    const c = box();
    const dropIn = `/etc/systemd/system/${SYNC}.d/mdwe.conf`;
    await c.writeFile(dropIn, "[Service]\nMemoryDenyWriteExecute=yes\n");
    ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    const r = await c.exec(["systemctl", "start", SYNC], 60_000);
    const result = await show(c, SYNC, "Result");
    ok(await c.exec(["rm", "-f", dropIn]), "rm drop-in");
    ok(await c.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    ok(await c.exec(["systemctl", "reset-failed", SYNC]), "reset-failed");
    expect(r.code).not.toBe(0);
    expect(result).not.toBe("success");
  }, 120_000);

  it(`${DOCTOR} as shipped reaches the same verdicts as the doctor outside any sandbox`, async () => {
    const c = box();
    const runs = async () => (await c.readFile("/var/log/pwb-agent/runs.jsonl").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { command: string; items: string[] });
    const before = (await runs()).length;
    ok(await c.exec(["systemctl", "start", DOCTOR], 150_000), `start ${DOCTOR}`);
    expect(await show(c, DOCTOR, "Result")).toBe("success");
    const sandboxed = (await runs()).slice(before);
    expect(sandboxed.map((r) => r.command)).toEqual(["doctor"]);
    const free = await c.exec(["/usr/bin/pwb-agent", "--quiet", "doctor"], 150_000);
    expect([0, 1]).toContain(free.code);
    const unsandboxed = (await runs()).slice(before + 1);
    expect(unsandboxed.map((r) => r.command)).toEqual(["doctor"]);
    // Checks fail here (no Workbench, no database in the container): the same ones, for the same reason.
    expect(sandboxed[0]!.items.length).toBeGreaterThan(0);
    expect(sandboxed[0]!.items.sort()).toEqual(unsandboxed[0]!.items.sort());
    const log = ok(await c.exec(["journalctl", "--no-pager", "-o", "cat", "-u", DOCTOR]), "journalctl").stdout;
    expect(log).not.toMatch(/EROFS|read-only file system/i);
  }, 320_000);
});
