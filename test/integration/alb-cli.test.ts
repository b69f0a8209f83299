import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MINIMAL } from "../helpers/workbench.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { awsEnv } from "../aws-endpoint/harness.js";
import { startAwsEndpoint, type AwsEndpoint } from "../aws-endpoint/index.js";
import { DEFAULT_SUBNETS, DEFAULT_VPC } from "../aws-endpoint/model.js";
import { seedLoginCluster, type LoginCluster } from "../aws-endpoint/scenarios.js";
import { requireBuilt } from "../helpers/cli.js";

/*
 * The built bundle (dist/pwb-agent.cjs), as the timer runs it: a separate process that finds the
 * endpoint through AWS_ENDPOINT_URL, exactly as it would find AWS. Asynchronous spawns, so the
 * in-process endpoint keeps answering while the child runs.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function agent(args: string[], env: NodeJS.ProcessEnv, exe: "bundle" | "single-executable" = "bundle"): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  const argv = exe === "bundle" ? [process.execPath, requireBuilt("dist/pwb-agent.cjs")] : [requireBuilt("dist/pwb-agent")];
  const child = spawn(argv[0]!, [...argv.slice(1), ...args], { env: { ...clean, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

let head: string;
const dirs: string[] = [];
beforeAll(async () => {
  head = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-alb-cli-"));
  dirs.push(head);
  await writeSimulatedNode(head, { role: "head", clusterName: "pwb-demo", region: "eu-west-1" });
});
afterAll(async () => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

let ep: AwsEndpoint;
let c: LoginCluster;
afterEach(async () => {
  await ep?.close();
  await fs.rm(path.join(head, "var"), { recursive: true, force: true });
});
async function account(latencyMs = 0): Promise<void> {
  ep = await startAwsEndpoint({ latencyMs });
  c = seedLoginCluster(ep.model);
}
const SYNC = ["--root", () => head, "--no-imds", "--json", "alb-sync", "--pool", "login"];
const syncArgs = (...extra: string[]) => [...SYNC.map((a) => (typeof a === "function" ? a() : a)), ...extra];

describe("pwb-agent alb-sync (built bundle)", () => {
  it("finds the endpoint through AWS_ENDPOINT_URL, registers the login nodes, then a tick costs 2 calls", async () => {
    await account();
    const first = await agent(syncArgs(), awsEnv(ep));
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ outcome: "changed", cluster: "pwb-demo", region: "eu-west-1", failures: [] });
    expect(report.registered.map((r: { id: string }) => r.id)).toEqual([...c.pools[0]!.instances].sort());
    // Logs went to stderr (--json): one JSON line per change.
    const changes = first.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.action === "register");
    expect(changes.map((l) => l.target).sort()).toEqual([...c.pools[0]!.instances].sort());
    const second = await agent(syncArgs(), awsEnv(ep));
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: "in-sync", apiCalls: 2 });
    expect(await fs.readFile(path.join(head, "var/lib/node_exporter/textfile_collector/pwb_alb_sync.prom"), "utf8")).toContain("pwb_alb_sync_ticks_total 2\n");
  });

  it("the single executable loads its compressed SDK on demand and syncs the same way", async () => {
    await account();
    const r = await agent(syncArgs(), awsEnv(ep), "single-executable");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: "changed", failures: [] });
    expect(r.stderr).not.toMatch(/ExperimentalWarning|dynamic import/);
  });

  it("two runs started together: exactly one mutates; the other leaves at once with exit 0", async () => {
    await account(300);
    const [a, b] = await Promise.all([agent(syncArgs("--lock-timeout", "0.1"), awsEnv(ep)), agent(syncArgs("--lock-timeout", "0.1"), awsEnv(ep))]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([JSON.parse(a.stdout).outcome, JSON.parse(b.stdout).outcome].sort()).toEqual(["changed", "locked"]);
    expect(ep.count("RegisterTargets")).toBe(1);
    expect(ep.count("DeregisterTargets")).toBe(0);
  });

  it("on the head node the SDK takes the instance role's credentials from IMDS (no keys in the environment)", async () => {
    await account();
    const env = { AWS_ENDPOINT_URL: ep.url, AWS_EC2_METADATA_SERVICE_ENDPOINT: ep.url, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
    const r = await agent(syncArgs(), env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe("changed");
    expect(ep.calls.filter((x) => x.service === "imds").map((x) => x.action)).toContain(`GET /latest/meta-data/iam/security-credentials/${ep.model.imds.roleName}`);
  });

  it("a failed tick exits 1 and says why; nothing is removed", async () => {
    await account();
    await agent(syncArgs(), awsEnv(ep));
    ep.faults.throttle({ action: "DescribeTargetHealth", when: (x) => x.params.TargetGroupArn === c.pools[0]!.targetGroup.arn });
    const r = await agent(["--root", head, "--no-imds", "alb-sync", "--pool", "login"], awsEnv(ep));
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === "alb-sync tick failed")).toMatchObject({ failures: ["login pool login: Throttling: Rate exceeded"] });
    expect(ep.count("DeregisterTargets")).toBe(0);
  });
});

describe("pwb-agent alb ensure (built bundle)", () => {
  it("missing settings: exit 2, each flag named, no AWS call", async () => {
    await account();
    const r = await agent(["--root", head, "--no-imds", "alb", "ensure"], awsEnv(ep));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pwb-agent: error: alb ensure: bad settings, nothing was changed:");
    for (const flag of ["--vpc-id: required", "--subnets: at least two subnets", "--certificate-arn: required"]) expect(r.stderr).toContain(flag);
    expect(ep.calls).toEqual([]);
  });

  it("takes its settings from the site's alb: section, flags winning, and names the site key of a bad value", async () => {
    await account();
    const site = path.join(head, "site-alb.yaml");
    const albSection = (subnets: string) =>
      `alb:\n  name: pwb-workbench\n  vpcId: ${DEFAULT_VPC}\n  subnets: [${subnets}]\n` +
      `  certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e\n`;
    await fs.writeFile(site, MINIMAL.replace("alb:\n  name: pwb-workbench\n", albSection(DEFAULT_SUBNETS.join(", "))));
    const ok = await agent(["--root", head, "--no-imds", "--site", site, "alb", "ensure", "--dry-run"], awsEnv(ep));
    expect(ok.code, ok.stderr).toBe(10); // as plan: changes pending
    expect(ok.stdout).toContain("pwb-workbench");
    await fs.writeFile(site, MINIMAL.replace("alb:\n  name: pwb-workbench\n", albSection(DEFAULT_SUBNETS[0]!)));
    const bad = await agent(["--root", head, "--no-imds", "--site", site, "alb", "ensure", "--dry-run"], awsEnv(ep));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("site alb.subnets: at least two subnets");
    const overridden = await agent(
      ["--root", head, "--no-imds", "--site", site, "alb", "ensure", "--dry-run", "--subnets", DEFAULT_SUBNETS.join(",")],
      awsEnv(ep),
    );
    expect(overridden.code, overridden.stderr).toBe(10);
  });

  it("refuses a bad value from the site at file:line:col and from the flag under its name, in the same words", async () => {
    await account();
    const site = path.join(head, "site-bad-cidr.yaml");
    await fs.writeFile(site, MINIMAL.replace("alb:\n  name: pwb-workbench\n", "alb:\n  name: pwb-workbench\n  ingressCidrs: [999.0.0.0/99]\n"));
    const fromSite = await agent(["--root", head, "--no-imds", "--site", site, "alb", "ensure", "--dry-run"], awsEnv(ep));
    const fromFlag = await agent(["--root", head, "--no-imds", "alb", "ensure", "--dry-run", "--ingress-cidrs", "999.0.0.0/99"], awsEnv(ep));
    expect([fromSite.code, fromFlag.code]).toEqual([2, 2]);
    const said = (stderr: string, where: RegExp) => where.exec(stderr)?.[1];
    const siteSays = said(fromSite.stderr, /site-bad-cidr\.yaml:9:18: alb\.ingressCidrs\[0\]: (.*)/);
    expect(siteSays).toMatch(/^expected an IPv4 CIDR block like 10\.0\.0\.0\/16/);
    expect(said(fromFlag.stderr, /--ingress-cidrs\[0\]: (.*)/)).toBe(siteSays);
    expect(ep.calls).toEqual([]);
  });

  it("drift on the existing ALB: --dry-run exits 10 naming it, apply fixes it, the next dry run exits 0; a scheme change exits 1 saying what to do", async () => {
    await account();
    const cert = ["--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc"];
    const ensure = (...extra: string[]) => agent(["--root", head, "--no-imds", "alb", "ensure", "--vpc-id", DEFAULT_VPC, ...cert, ...extra], awsEnv(ep));
    expect((await ensure("--subnets", DEFAULT_SUBNETS.join(","))).code).toBe(0);
    const moved = ["--subnets", `${DEFAULT_SUBNETS[1]},subnet-0abc0000000000003`];
    const dry = await ensure("--dry-run", ...moved);
    expect(dry.code, dry.stderr).toBe(10);
    expect(dry.stdout).toMatch(/^~ load-balancer-subnets pwb-pwb-demo-\w+ {2}\(update\)\n {4}subnets subnet-0abc0000000000001, subnet-0abc0000000000002 become subnet-0abc0000000000002, subnet-0abc0000000000003$/m);
    expect((await ensure(...moved)).code).toBe(0);
    expect((await ensure("--dry-run", ...moved)).code).toBe(0);
    const scheme = await ensure(...moved, "--scheme", "internet-facing");
    expect(scheme.code).toBe(1);
    expect(scheme.stderr).toMatch(/AWS cannot change the scheme of a load balancer: set the scheme back to internal, or delete the load balancer/);
  });

  it("a site without an alb: section has no ALB to sync: exit 2 saying so, no AWS call", async () => {
    await account();
    const site = path.join(head, "site-no-alb.yaml");
    await fs.writeFile(site, MINIMAL.replace("alb:\n  name: pwb-workbench\n", ""));
    const r = await agent(["--root", head, "--no-imds", "--site", site, "alb-sync", "--pool", "login"], awsEnv(ep));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the site config has no alb: section");
    expect(ep.calls).toEqual([]);
  });

  it("--dry-run lists what it would create; the real run creates it; a re-run finds it all", async () => {
    await account();
    const flags = ["--vpc-id", DEFAULT_VPC, "--subnets", DEFAULT_SUBNETS.join(","), "--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc"];
    const dry = await agent(["--root", head, "--no-imds", "alb", "ensure", "--dry-run", ...flags], awsEnv(ep));
    // The plan's form and exit code: one block per resource, what would change beneath, the count; 10.
    expect(dry.code, dry.stderr).toBe(10);
    expect(dry.stdout).toMatch(/^\+ security-group pwb-alb-pwb-demo {2}\(create\)\n {4}in vpc-0abc0000000000001/m);
    expect(dry.stdout).toMatch(/^\+ load-balancer pwb-pwb-demo-\w+ {2}\(create\)\n {4}internal application load balancer/m);
    expect(dry.stdout).toMatch(/^\+ listener HTTP:80 {2}\(create\)\n {4}HTTP 80 → 301 to HTTPS 443$/m);
    expect(dry.stdout).toMatch(/\n\n7 changes pending\.\n$/);
    expect(ep.model.loadBalancers.size).toBe(1); // the NLB only
    const real = await agent(["--root", head, "--no-imds", "alb", "ensure", ...flags], awsEnv(ep));
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^created +listener HTTPS:443/m);
    expect(real.stdout).toMatch(/^Workbench ALB: https:\/\/internal-pwb-pwb-demo-/m);
    const again = await agent(["--root", head, "--no-imds", "--json", "alb", "ensure", ...flags], awsEnv(ep));
    expect(JSON.parse(again.stdout).steps.every((s: { action: string }) => s.action === "exists")).toBe(true);
    const calm = await agent(["--root", head, "--no-imds", "alb", "ensure", "--dry-run", ...flags], awsEnv(ep));
    expect([calm.code, calm.stdout.endsWith("\nNo changes: the Workbench ALB is in its desired state.\n")]).toEqual([0, true]);
    // alb-sync --dry-run prints the same plan form: one block per target it would register, exit 10, nothing registered.
    const plan = await agent(syncArgs().filter((a) => a !== "--json").concat("--dry-run"), awsEnv(ep));
    expect(plan.code, plan.stderr).toBe(10);
    expect(plan.stdout).toMatch(/^\+ target i-\w+:8787 {2}\(create\)\n {4}register: healthy-in-nlb \(login pool login\)$/m);
    expect(plan.stdout).toMatch(/\n\n2 changes pending\.\n$/);
    // The sync finds what ensure made.
    const sync = await agent(syncArgs(), awsEnv(ep));
    expect(JSON.parse(sync.stdout).registered).toHaveLength(2);
    const synced = await agent(syncArgs().filter((a) => a !== "--json").concat("--dry-run"), awsEnv(ep));
    expect([synced.code, synced.stdout.endsWith("\nNo changes: the Workbench target group is in its desired state.\n")]).toEqual([0, true]);
  });
});

describe("lazy AWS SDK", () => {
  it("commands that need no AWS never load the SDK modules", async () => {
    const probe = [
      `process.argv = [process.argv[0], "pwb-agent", "version"];`,
      `require(${JSON.stringify(requireBuilt("dist/pwb-agent.cjs"))});`,
      // agent/alb/aws/sdk.ts sets this when it is evaluated, right before it imports the SDK.
      `setTimeout(() => console.log("sdk-loaded=" + (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? "no")), 200);`,
    ].join("\n");
    const child = spawn(process.execPath, ["-e", probe], { env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))) });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.on("close", r));
    expect(out).toContain("pwb-agent 0.");
    expect(out).toContain("sdk-loaded=no");
  });
});
