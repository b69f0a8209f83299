// `pwb-agent fleet`: the real @aws-sdk/client-ssm against the loopback AWS endpoint (SSM JSON
// protocol). The CLI tests run the built bundle as a separate process pointed at the endpoint with
// AWS_ENDPOINT_URL, exactly as an admin's shell would; nodes answer with scripted results.
import { spawn } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runFleet } from "../../agent/fleet/run.js";
import { createFleetSsm } from "../../agent/fleet/ssm-client.js";
import type { FleetOptions } from "../../agent/fleet/types.js";
import { awsEnv, TEST_CREDENTIALS } from "../aws-endpoint/harness.js";
import { startAwsEndpoint, type AwsEndpoint } from "../aws-endpoint/index.js";
import { scriptInvocations, seedFleet, type Fleet, type ScriptedResult } from "../aws-endpoint/ssm-commands.js";
import { requireBuilt } from "../helpers/cli.js";

let ep: AwsEndpoint;
let fleet: Fleet;

/** The CLI, asynchronously: the endpoint answers from this very process, so spawnSync would deadlock. */
function runCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), ...args], {
      env: { PATH: process.env.PATH ?? "", ...awsEnv(ep), AWS_REGION: ep.model.region, ...extraEnv },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const fast = ["--poll-interval", "0.05"];
const doctorJson = (role: string, failed: string[] = []) =>
  JSON.stringify({ role, simulated: false, ok: !failed.length, checks: ["site", "database", "storage"].map((name) => ({ name, status: failed.includes(name) ? "fail" : "ok", detail: "", ms: 1 })) });

function roleOf(instanceId: string): string {
  return fleet.head.includes(instanceId) ? "head" : fleet.login.includes(instanceId) ? "login" : "compute";
}

function sendCommandParams(): Record<string, unknown> {
  const call = ep.calls.find((c) => c.service === "ssm" && c.action === "SendCommand");
  expect(call, "SendCommand was called").toBeDefined();
  return call!.params;
}

beforeEach(async () => {
  ep = await startAwsEndpoint();
  fleet = seedFleet(ep.model, "pwb", { head: 1, login: 2, compute: 3 });
  // Some other cluster's nodes, which no command may reach.
  seedFleet(ep.model, "other", { head: 1, login: 1, compute: 1 });
});

afterEach(async () => {
  await ep.close();
});

describe("pwb-agent fleet (CLI over the SSM wire protocol)", () => {
  it("doctor on the whole cluster: targets by ParallelCluster's tags, a row per node, exit 1 when one fails", async () => {
    const failing = fleet.login[1]!;
    scriptInvocations(ep.model, (_c, id): ScriptedResult =>
      id === failing
        ? { status: "Failed", responseCode: 1, stdout: doctorJson("login", ["database"]), stderr: "", afterMs: 60 }
        : { status: "Success", responseCode: 0, stdout: doctorJson(roleOf(id)), stderr: "", afterMs: 20 },
    );
    const r = await runCli(["fleet", "doctor", "--cluster", "pwb", ...fast]);
    expect(r.code, r.stderr).toBe(1);

    const p = sendCommandParams();
    expect(p.DocumentName).toBe("pwb-agent-command");
    expect(p.Targets).toEqual([
      { Key: "tag:parallelcluster:cluster-name", Values: ["pwb"] },
      { Key: "tag:parallelcluster:node-type", Values: ["HeadNode", "LoginNode", "Compute"] },
    ]);
    expect(p.Parameters).toEqual({ subcommand: ["doctor"], output: ["json"], executionTimeout: ["600"] });
    expect(p).toMatchObject({ MaxConcurrency: "100%", MaxErrors: "100%", TimeoutSeconds: 600 });

    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^INSTANCE\s+NAME\s+ROLE\s+STATUS\s+EXIT\s+SUMMARY$/);
    const all = [...fleet.head, ...fleet.login, ...fleet.compute];
    for (const id of all) expect(r.stdout).toContain(id);
    expect(r.stdout.split("\n").filter((l) => /^i-/.test(l))).toHaveLength(6);
    const bad = lines.find((l) => l.startsWith(failing))!;
    expect(bad).toMatch(/\blogin\s+FAILED\s+1\s+1 of 3 checks failed: database$/);
    expect(lines.filter((l) => /\bok\s+0\s+3 checks ok$/.test(l))).toHaveLength(5);
    expect(r.stdout).toMatch(/6 instances ran `pwb-agent doctor` on pwb in [\d.]+ s; 1 failed\. Command [0-9a-f-]{36}\./);
    // Progress on stderr (not a terminal: a line per change), ending complete.
    expect(r.stderr).toMatch(/pwb-agent fleet doctor pwb: 6\/6 done, 1 failed \(Failed\)\n/);
  });

  it("--role login reaches only the login nodes; all succeed: exit 0", async () => {
    scriptInvocations(ep.model, (_c, id) => ({ status: "Success", responseCode: 0, stdout: doctorJson(roleOf(id)), stderr: "" }));
    const r = await runCli(["fleet", "doctor", "--cluster", "pwb", "--role", "login", ...fast]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((sendCommandParams().Targets as Array<{ Values: string[] }>)[1]!.Values).toEqual(["LoginNode"]);
    const rows = r.stdout.split("\n").filter((l) => /^i-/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(rows.sort()).toEqual([...fleet.login].sort());
  });

  it("plan: drift (exit 10 on a node) is 'changes pending', not a failure: exit 10", async () => {
    const drifted = fleet.compute[0]!;
    scriptInvocations(ep.model, (_c, id) =>
      id === drifted
        ? { status: "Failed", responseCode: 10, stdout: JSON.stringify({ changes: [{}, {}], count: 2 }), stderr: "" }
        : { status: "Success", responseCode: 0, stdout: JSON.stringify({ changes: [], count: 0 }), stderr: "" },
    );
    const r = await runCli(["fleet", "plan", "--cluster", "pwb", ...fast]);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stdout.split("\n").find((l) => l.startsWith(drifted))).toMatch(/CHANGES\s+10\s+2 changes pending$/);
    expect(r.stdout).toMatch(/; 1 with changes pending\./);
    expect(r.stdout).not.toMatch(/failed/);
  });

  it("apply is rolled out: a quarter of the nodes at a time, stop at the first failure; --json for machines", async () => {
    scriptInvocations(ep.model, (_c, id) => ({ status: "Success", responseCode: 0, stdout: JSON.stringify({ changes: 3, restarted: id === fleet.login[0] ? ["rstudio-server"] : [] }), stderr: "" }));
    const r = await runCli(["--json", "fleet", "apply", "--cluster", "pwb", ...fast]);
    expect(r.code, r.stderr).toBe(0);
    expect(sendCommandParams()).toMatchObject({ MaxConcurrency: "25%", MaxErrors: "0", Parameters: { subcommand: ["apply"], output: ["json"], executionTimeout: ["600"] } });
    const out = JSON.parse(r.stdout) as { ok: boolean; commandStatus: string; instances: Array<{ instanceId: string; outcome: string; summary: string; responseCode: number }> };
    expect(out.ok).toBe(true);
    expect(out.commandStatus).toBe("Success");
    expect(out.instances).toHaveLength(6);
    expect(out.instances.find((i) => i.instanceId === fleet.login[0])!.summary).toBe("3 changes applied; restarted rstudio-server");
    expect(out.instances.every((i) => i.outcome === "ok" && i.responseCode === 0)).toBe(true);
  });

  it("no node matches (wrong cluster name): exit 1 and says why", async () => {
    const r = await runCli(["fleet", "detect", "--cluster", "nope", ...fast]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/No instance ran `detect` for cluster nope: none is tagged for it, or none is SSM-managed/);
  });

  it("an SSM error (the document was never created) is a runtime failure that names it: exit 1", async () => {
    ep.faults.error("InvalidDocument", "Document pwb-agent-command does not exist in your account", { service: "ssm", action: "SendCommand" });
    const r = await runCli(["fleet", "doctor", "--cluster", "pwb", ...fast]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pwb-agent: failed: pwb-agent fleet doctor pwb: SSM: InvalidDocument: Document pwb-agent-command does not exist");
    expect(r.stdout).toBe("");
  });

  it("flags are checked before anything is sent: bad sub-command, rate, timeout → exit 2", async () => {
    for (const args of [["fleet", "bake", "--cluster", "pwb"], ["fleet", "plan", "--cluster", "pwb", "--max-concurrency", "0"], ["fleet", "plan", "--cluster", "pwb", "--timeout", "99999"], ["fleet", "plan"]]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
    expect(ep.count("SendCommand", "ssm")).toBe(0);
  });
});

describe("runFleet with the real SDK client", () => {
  const options = (o: Partial<FleetOptions> = {}): FleetOptions => ({
    subcommand: "detect",
    cluster: "pwb",
    documentName: "pwb-agent-command",
    executionTimeoutSeconds: 600,
    deliveryTimeoutSeconds: 600,
    maxConcurrency: "100%",
    maxErrors: "100%",
    pollMs: 20,
    waitTimeoutMs: 10_000,
    ...o,
  });
  const client = (maxAttempts = 3) => createFleetSsm({ region: ep.model.region, endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts });
  const quiet = { update() {}, end() {} };

  it("rides out throttling and an invocation SSM does not know yet; reads the role from detect's JSON", async () => {
    scriptInvocations(ep.model, (_c, id) => ({ status: "Success", responseCode: 0, stdout: JSON.stringify({ role: roleOf(id), os: { id: "rocky", version: "9.4" }, cluster: { name: "pwb", queue: null, pool: null } }), stderr: "" }));
    ep.faults.throttle({ service: "ssm", action: "ListCommands", times: 2 });
    ep.faults.error("InvocationDoesNotExist", "", { service: "ssm", action: "GetCommandInvocation", times: 2 });
    const report = await runFleet(await client(), options({ role: "compute" }), quiet);
    expect(report.incomplete).toBe(false);
    expect(report.instances.map((i) => i.instanceId).sort()).toEqual([...fleet.compute].sort());
    expect(report.instances.every((i) => i.role === "compute" && i.outcome === "ok" && i.summary === "compute, rocky 9.4")).toBe(true);
    expect(ep.calls.filter((c) => c.action === "ListCommands" && c.errorCode === "ThrottlingException")).toHaveLength(2);
  });

  it("stops waiting at the deadline and reports the nodes still running (the command goes on in SSM)", async () => {
    scriptInvocations(ep.model, (_c, id) => ({ status: "Success", responseCode: 0, stdout: "{}", stderr: "", afterMs: id === fleet.head[0] ? 60_000 : 0 }));
    const report = await runFleet(await client(), options({ waitTimeoutMs: 300 }), quiet);
    expect(report.incomplete).toBe(true);
    const head = report.instances.find((i) => i.instanceId === fleet.head[0])!;
    expect(head).toMatchObject({ outcome: "running", responseCode: -1, summary: "still InProgress when the wait ended" });
    expect(report.instances.filter((i) => i.outcome === "ok")).toHaveLength(5);
  });

  it("keeps SSM's output limits: 24,000 characters of stdout, 8,000 of stderr", async () => {
    scriptInvocations(ep.model, () => ({ status: "Failed", responseCode: 1, stdout: "o".repeat(30_000), stderr: `boom: the reason\n${"e".repeat(9_000)}` }));
    const report = await runFleet(await client(), options({ role: "head" }), quiet);
    const [head] = report.instances;
    expect(head!.stdout).toHaveLength(24_000);
    expect(head!.stderr).toHaveLength(8_000);
    expect(head!.summary).toBe("boom: the reason");
    expect(head!.outcome).toBe("failed");
  });
});

