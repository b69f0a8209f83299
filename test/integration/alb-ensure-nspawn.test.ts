// Day one on a head node under a REAL systemd (systemd-nspawn): the shipped pwb-alb-ensure.service,
// started as apply starts it, finds nothing and creates the Workbench ALB from the site's alb:
// section; started again (every boot), it finds it all and creates nothing. Inside the container
// (loopback only) the AWS endpoint runs as a unit; a control port reports what exists.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleSource } from "../aws-endpoint/bundle.mjs";
import { DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";
import { requireBuilt } from "../helpers/cli.js";
import { Container, requireNspawn, uniqueMachineName } from "../helpers/nspawn.js";
import { shippedUnits, type Run } from "../helpers/systemd.js";
import { MINIMAL } from "../helpers/workbench.js";

const ENSURE = "pwb-alb-ensure.service";
const UNIT_DIR = "/usr/lib/systemd/system";

const ENDPOINT_SOURCE = `
import http from "node:http";
import { startAwsEndpoint } from "./test/aws-endpoint/index.js";
const ep = await startAwsEndpoint({ port: 9000 });
http.createServer((req, res) => {
  const m = ep.model;
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
    loadBalancers: [...m.loadBalancers.values()].map((l) => l.name),
    listeners: [...m.listeners.values()].map((l) => l.protocol + ":" + l.port),
    targetGroups: [...m.targetGroups.values()].map((t) => t.name),
    creates: ep.calls.filter((c) => c.action.startsWith("Create")).length,
  }));
}).listen(9001, "127.0.0.1");
`;

const SITE = MINIMAL.replace(
  "alb:\n  name: pwb-workbench\n",
  `alb:\n  name: pwb-workbench\n  vpcId: ${DEFAULT_VPC}\n  subnets: [${DEFAULT_SUBNETS.join(", ")}]\n` +
    "  certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e\n",
);

let c: Container | undefined;
let units: Record<string, string> = {};
let endpointBundle = "";
let setupError: unknown = null;

beforeAll(async () => {
  try {
    requireNspawn();
    const agentBinary = requireBuilt("dist/pwb-agent");
    units = await shippedUnits();
    endpointBundle = await readFile(await bundleSource(ENDPOINT_SOURCE, "nspawn-ensure-endpoint"), "utf8");
    c = await Container.boot({ name: uniqueMachineName("ensure"), agentBinary });
  } catch (e) {
    setupError = e;
  }
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

interface Control {
  loadBalancers: string[];
  listeners: string[];
  targetGroups: string[];
  creates: number;
}

async function control(c: Container): Promise<Control | undefined> {
  const r = await c.exec(["/usr/bin/node", "-e", "fetch('http://127.0.0.1:9001').then((r) => r.text()).then((t) => process.stdout.write(t))"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Control) : undefined;
}

describe("head node under real systemd: day one", () => {
  it("pwb-alb-ensure.service as shipped creates the ALB from the site; run again, it creates nothing", async () => {
    if (setupError) throw setupError;
    const box = c!;
    await box.writeFile("/etc/chef/dna.json", JSON.stringify({ cluster: { node_type: "HeadNode", stack_name: "c1", region: "eu-west-1" } }));
    await box.writeFile("/etc/pwb-agent/site.yaml", SITE);
    await box.writeFile("/opt/test/endpoint.mjs", endpointBundle);
    await box.writeFile("/etc/systemd/system/test-aws.service", "[Unit]\nDescription=loopback AWS endpoint\n[Service]\nExecStart=/usr/bin/node /opt/test/endpoint.mjs\n");
    await box.writeFile(`${UNIT_DIR}/${ENSURE}`, units[ENSURE]!);
    // The only test-specific setting: where AWS and IMDS are (credentials: the instance role via IMDS).
    await box.writeFile(`/etc/systemd/system/${ENSURE}.d/loopback-aws.conf`, "[Service]\nEnvironment=AWS_ENDPOINT_URL=http://127.0.0.1:9000 AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9000\n");
    ok(await box.exec(["systemctl", "daemon-reload"]), "daemon-reload");
    ok(await box.exec(["systemctl", "start", "test-aws.service"]), "start endpoint");
    for (let i = 0; i < 100 && !(await control(box)); i += 1) await new Promise((r) => setTimeout(r, 100));

    // What apply does for this unit: start it (a oneshot: the start returns when ensure has finished).
    ok(await box.exec(["systemctl", "start", ENSURE], 120_000), `start ${ENSURE}`);
    expect((await box.exec(["systemctl", "show", "--value", "-p", "Result", ENSURE])).stdout.trim()).toBe("success");
    const made = (await control(box))!;
    expect(made.loadBalancers).toEqual(["pwb-workbench"]);
    expect(made.listeners.sort()).toEqual(["HTTP:80", "HTTPS:443"]);
    const log = ok(await box.exec(["journalctl", "--no-pager", "-o", "cat", "-u", ENSURE]), "journalctl").stdout;
    expect(log).toContain("created load-balancer pwb-workbench");

    ok(await box.exec(["systemctl", "restart", ENSURE], 120_000), `restart ${ENSURE}`);
    expect((await control(box))!.creates).toBe(made.creates);
  }, 180_000);
});
