import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { cli } from "../helpers/cli.js";
import { tempDir } from "../helpers/engine.js";
import { promtoolProblems, samples } from "../helpers/promtool.js";
import { simCluster, simSiteYaml } from "../helpers/workbench.js";

/*
 * `pwb-agent doctor` on simulated head, login and compute nodes (the built CLI, as an admin runs it):
 * every role's checks by id, the agent's own state (last apply, drift, units), alb-sync freshness,
 * GPU nodes, and the metrics textfiles apply and doctor leave under the root, checked by promtool.
 * A spy preloaded into the CLI records every network connection and child process it starts: under
 * --root nothing outside the machine is contacted and nothing of the cluster is run.
 */

const TEXTFILES = "var/lib/node_exporter/textfile_collector";

interface Report {
  ok: boolean;
  role: string;
  checks: Array<{ id: string; name: string; status: string; detail: string; fix?: string }>;
}

function doctor(root: string, siteFile: string, ...extra: string[]) {
  const r = cli(["--root", root, "--no-imds", "--site", siteFile, "--json", "doctor", ...extra]);
  const report = JSON.parse(r.stdout) as Report;
  return { code: r.code, report, byId: Object.fromEntries(report.checks.map((c) => [c.id, c])), stderr: r.stderr };
}

const status = (byId: Record<string, { status: string }>, ids: string[]) => Object.fromEntries(ids.map((id) => [id, byId[id]?.status]));

async function textfile(root: string, name: string): Promise<string> {
  return fs.readFile(path.join(root, TEXTFILES, name), "utf8");
}

async function computeNode(siteYaml: string, o: { gpuDriver?: string } = {}): Promise<{ root: string; siteFile: string }> {
  const base = await tempDir("pwb-doctor-compute-");
  const root = path.join(base, "compute");
  await writeSimulatedNode(root, { role: "compute", queue: "gpu", gpus: 1, ...(o.gpuDriver ? { gpuDriver: o.gpuDriver } : {}) });
  const siteFile = path.join(base, "site.yaml");
  await fs.writeFile(siteFile, siteYaml);
  return { root, siteFile };
}

describe("doctor on every role (simulated nodes)", () => {
  it("head: Workbench config, Slurm (not contacted on a simulated root), alb-sync freshness, the agent's own state; metrics pass promtool", async () => {
    const c = await simCluster();
    expect(cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--quiet", "apply"]).code).toBe(0);

    const first = doctor(c.head, c.siteFile);
    expect(first.report.role).toBe("head");
    expect(status(first.byId, ["site", "workbench.shared-config", "workbench.keys", "slurm.ctld", "alb-sync.fresh", "agent.last-apply", "agent.drift", "agent.units"])).toEqual({
      site: "ok",
      "workbench.shared-config": "ok",
      "workbench.keys": "ok",
      "slurm.ctld": "skipped",
      "alb-sync.fresh": "fail",
      "agent.last-apply": "ok",
      "agent.drift": "ok",
      "agent.units": "ok",
    });
    expect(first.byId["alb-sync.fresh"]).toMatchObject({ detail: "/var/lib/pwb-agent/alb-sync.json is missing: alb-sync never ran" });
    expect(first.byId["alb-sync.fresh"]!.fix).toContain("journalctl -u pwb-alb-sync");
    expect(first.byId["agent.units"]!.detail).toBe("pwb-agent.service, pwb-agent-doctor.timer and pwb-alb-sync.timer enabled");
    expect(first.byId["agent.last-apply"]!.detail).toMatch(/^succeeded \d+ s ago: \d+ change\(s\) in [\d.]+ s$/);

    // alb-sync's state as its ticks leave it: a success 20 s ago is fresh; 200 s ago is more than 3 ticks.
    const state = path.join(c.head, "var/lib/pwb-agent/alb-sync.json");
    await fs.writeFile(state, JSON.stringify({ lastSuccess: Date.now() - 20_000, lastRun: Date.now() - 20_000, consecutiveFailures: 0 }));
    expect(doctor(c.head, c.siteFile).byId["alb-sync.fresh"]).toMatchObject({ status: "ok", detail: expect.stringMatching(/^last success (2\d|3\d) s ago$/) });
    await fs.writeFile(state, JSON.stringify({ lastSuccess: Date.now() - 200_000, lastRun: Date.now() - 5_000, consecutiveFailures: 6 }));
    expect(doctor(c.head, c.siteFile).byId["alb-sync.fresh"]).toMatchObject({ status: "fail", detail: expect.stringMatching(/^last success [34] min ago \(more than 3 ticks\), 6 failed tick\(s\) since$/) });

    // Both textfiles, as node_exporter will read them.
    const apply = await textfile(c.head, "pwb_agent.prom");
    const doc = await textfile(c.head, "pwb_agent_doctor.prom");
    expect(promtoolProblems(apply)).toBe("");
    expect(promtoolProblems(doc)).toBe("");
    expect(Object.keys(samples(apply, "pwb_agent_info"))[0]).toMatch(/^\{version="[^"]+",role="head",cluster="pwb-demo",pool=""\}$/);
    expect(samples(apply, "pwb_agent_apply_last_run_success")).toEqual({ "": 1 });
    expect(samples(apply, "pwb_agent_applies_total")).toEqual({ "": 1 });
    expect(samples(doc, "pwb_agent_doctor_check_status")['{check="alb-sync.fresh",role="head",status="fail"}']).toBe(1);
    expect(samples(doc, "pwb_agent_doctor_check_status")['{check="alb-sync.fresh",role="head",status="ok"}']).toBe(0);
    expect(samples(doc, "pwb_agent_drift_resources")).toEqual({ "": 0 });
    expect(samples(doc, "pwb_agent_doctor_ok")).toEqual({ "": 0 });
  });

  it("a site without an ALB: the head's alb-sync check is skipped and its timer must be disabled", async () => {
    const c = await simCluster(simSiteYaml().replace("alb:\n  name: pwb-workbench\n", ""));
    expect(cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--quiet", "apply"]).code).toBe(0);
    const r = doctor(c.head, c.siteFile);
    expect(r.byId["alb-sync.fresh"]).toMatchObject({ status: "skipped", detail: "the site has no alb: section" });
    expect(r.byId["agent.units"]).toMatchObject({ status: "ok", detail: "pwb-agent.service and pwb-agent-doctor.timer enabled, pwb-alb-sync.timer disabled" });
  });

  it("drift and units: a hand-edited unit is drift, a missing enablement link fails the units check", async () => {
    const c = await simCluster();
    expect(cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "--quiet", "apply"]).code).toBe(0);
    await fs.rm(path.join(c.login, "etc/systemd/system/multi-user.target.wants/pwb-agent.service"));
    const r = doctor(c.login, c.siteFile);
    expect(r.byId["agent.units"]).toMatchObject({ status: "fail", fix: "`pwb-agent units install`" });
    expect(r.byId["agent.units"]!.detail).toContain("service:pwb-agent.service");
    expect(r.byId["agent.drift"]).toMatchObject({ status: "warn", detail: "1 resource(s) differ: service:pwb-agent.service" });
    expect(r.code).toBe(1);
  });

  it("compute with a GPU: driver loaded, nvidia-smi left to the live node; without the driver the check fails and says what to do", async () => {
    const yaml = simSiteYaml("containers: { enabled: true }\napptainer: { source: epel, version: 1.4.5-1.el9 }");
    const good = await computeNode(yaml, { gpuDriver: "550.90.07" });
    expect(cli(["--root", good.root, "--no-imds", "--site", good.siteFile, "--quiet", "apply"]).code).toBe(0);
    const r = doctor(good.root, good.siteFile);
    expect(r.report.role).toBe("compute");
    expect(status(r.byId, ["site", "service.rstudio-server", "service.slurmd", "apptainer.version", "apptainer.exec", "gpu.driver", "gpu.nvidia-smi", "agent.last-apply", "agent.drift", "agent.units"])).toEqual({
      site: "ok",
      "service.rstudio-server": "skipped",
      "service.slurmd": "skipped",
      "apptainer.version": "skipped",
      "apptainer.exec": "skipped",
      "gpu.driver": "ok",
      "gpu.nvidia-smi": "skipped",
      "agent.last-apply": "ok",
      // Containers need their runtime (apptainer:), whose EPEL packages a simulated root without local
      // repositories records instead of installing: still pending, so drift warns.
      "agent.drift": "warn",
      "agent.units": "ok",
    });
    expect(r.byId["agent.drift"]!.detail).toContain("packages:apptainer");
    expect(r.byId["gpu.driver"]!.detail).toBe("driver 550.90.07 for 1 × NVIDIA A10G");
    expect(r.byId["apptainer.exec"]!.detail).toBe("no default image (spank.defaultImage or images:)");

    const bad = await computeNode(yaml);
    expect(cli(["--root", bad.root, "--no-imds", "--site", bad.siteFile, "--quiet", "apply"]).code).toBe(0);
    const b = doctor(bad.root, bad.siteFile);
    expect(b.byId["gpu.driver"]).toMatchObject({ status: "fail", detail: "1 NVIDIA GPU(s) seen, but the driver is not loaded (/proc/driver/nvidia/version missing)" });
    expect(b.byId["gpu.driver"]!.fix).toContain("cuda component");
    expect(b.code).toBe(1);
  });

  it("a failed apply is recorded: doctor's last-apply check fails with the reason, the metrics count it", async () => {
    const node = await computeNode(simSiteYaml());
    expect(cli(["--root", node.root, "--no-imds", "--site", node.siteFile, "--quiet", "apply"]).code).toBe(0);
    // Something else took the unit file's place: the next apply cannot write it.
    const unit = path.join(node.root, "usr/lib/systemd/system/pwb-agent.service");
    await fs.rm(unit);
    await fs.mkdir(path.join(unit, "in-the-way"), { recursive: true });
    const failed = cli(["--root", node.root, "--no-imds", "--site", node.siteFile, "--quiet", "apply"]);
    expect(failed.code).toBe(1);
    const r = doctor(node.root, node.siteFile);
    expect(r.byId["agent.last-apply"]!.status).toBe("fail");
    expect(r.byId["agent.last-apply"]!.detail).toMatch(/^the last apply \(\d+ s ago\) failed: .*pwb-agent\.service/);
    const apply = await textfile(node.root, "pwb_agent.prom");
    expect(promtoolProblems(apply)).toBe("");
    expect(samples(apply, "pwb_agent_apply_last_run_success")).toEqual({ "": 0 });
    expect(samples(apply, "pwb_agent_applies_total")).toEqual({ "": 2 });
    expect(samples(apply, "pwb_agent_apply_failures_total")).toEqual({ "": 1 });
    expect(samples(apply, "pwb_agent_apply_last_success_timestamp_seconds")[""]).toBeGreaterThan(0);
  });

  it("under --root nothing outside the machine is contacted and no cluster command runs: a remote database is not dialled, --e2e submits nothing", async () => {
    const c = await simCluster(simSiteYaml().replace("host: 127.0.0.1", "host: 10.255.0.7"));
    expect(cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--quiet", "apply"]).code).toBe(0);
    const spyLog = path.join(c.head, "..", "spy.log");
    const spy = path.join(c.head, "..", "spy.cjs");
    await fs.writeFile(
      spy,
      [
        "const fs = require('node:fs'); const net = require('node:net'); const cp = require('node:child_process');",
        `const out = (l) => fs.appendFileSync(${JSON.stringify(spyLog)}, l + '\\n');`,
        "const connect = net.Socket.prototype.connect;",
        "net.Socket.prototype.connect = function (...a) { const o = typeof a[0] === 'object' ? a[0] : { port: a[0], host: a[1] }; out('connect ' + (o.path ?? (o.host ?? 'localhost') + ':' + o.port)); return connect.apply(this, a); };",
        "const spawn = cp.spawn; cp.spawn = function (cmd, ...a) { out('spawn ' + cmd); return spawn.call(this, cmd, ...a); };",
        "out('spy loaded');",
      ].join("\n"),
    );
    const r = cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--json", "doctor", "--e2e"], { NODE_OPTIONS: `--require=${spy}` });
    const report = JSON.parse(r.stdout) as Report;
    const byId = Object.fromEntries(report.checks.map((ch) => [ch.id, ch]));
    expect(byId["workbench.database"]).toMatchObject({ status: "skipped", detail: "simulated root: 10.255.0.7 is outside this machine, not contacted" });
    expect(byId["e2e.interactive"]).toMatchObject({ status: "skipped" });
    const seen = (await fs.readFile(spyLog, "utf8")).split("\n").filter(Boolean);
    expect(seen[0]).toBe("spy loaded"); // the spy ran inside the CLI: an empty record below means nothing happened
    expect(seen.filter((l) => l.startsWith("connect ") && !/^connect (127\.\d+\.\d+\.\d+|localhost|::1):/.test(l))).toEqual([]);
    expect(seen.filter((l) => l.startsWith("spawn "))).toEqual([]);
  });

  it("logs: CloudWatch fragment and job records converge once; every apply and doctor run leaves one JSON line", async () => {
    const c = await simCluster(simSiteYaml("telemetry: { cloudwatch: true, jobCompletion: { enabled: true } }"));
    const dna = path.join(c.head, "etc/chef/dna.json");
    const facts = JSON.parse(await fs.readFile(dna, "utf8")) as { cluster: Record<string, string> };
    await fs.writeFile(dna, JSON.stringify({ cluster: { ...facts.cluster, log_group_name: "/aws/parallelcluster/pwb-demo-202611301200", cw_logging_enabled: "true" } }));
    const apply = () => JSON.parse(cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--json", "apply"]).stdout) as { changes: number; applied: Array<{ id: string }>; deferred: string[][] };
    const first = apply();
    expect(first.applied.map((a) => a.id)).toEqual(expect.arrayContaining(["dir:/var/log/pwb-agent/jobs", "file:/usr/local/lib/pwb-agent/jobcomp.sh", "file:/etc/pwb-agent/cloudwatch/pwb-agent.json", "command:cloudwatch-append-config"]));
    expect(first.deferred).toContainEqual(["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "append-config", "-m", "ec2", "-s", "-c", "file:/etc/pwb-agent/cloudwatch/pwb-agent.json"]);
    expect(apply()).toMatchObject({ changes: 0, deferred: [] });
    expect((await fs.stat(path.join(c.head, "var/log/pwb-agent"))).mode & 0o777).toBe(0o755);
    expect((await fs.stat(path.join(c.head, "var/log/pwb-agent/jobs"))).uid).toBe(401); // the simulated node's slurm user
    doctor(c.head, c.siteFile);
    const lines = (await fs.readFile(path.join(c.head, "var/log/pwb-agent/runs.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { command: string; success: boolean; items: string[]; role: string });
    expect(lines.map((l) => [l.command, l.role])).toEqual([["apply", "head"], ["apply", "head"], ["doctor", "head"]]);
    expect(lines[0]!.items).toContain("file:/usr/local/lib/pwb-agent/jobcomp.sh");
    expect(lines[1]!.items).toEqual([]);
    expect(lines[2]!.items).toContain("alb-sync.fresh");
  });

  it("bake records its outcome too: a failed bake (mirror unreachable) is in the bake textfile and the run log", async () => {
    const c = await simCluster(simSiteYaml('mirror: { url: "http://127.0.0.1:9/mirror" }'));
    const r = cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "--quiet", "bake"]);
    expect(r.code).toBe(1);
    const text = await textfile(c.head, "pwb_agent_bake.prom");
    expect(promtoolProblems(text)).toBe("");
    expect(samples(text, "pwb_agent_bake_last_run_success")).toEqual({ "": 0 });
    const last = JSON.parse((await fs.readFile(path.join(c.head, "var/log/pwb-agent/runs.jsonl"), "utf8")).trim().split("\n").at(-1)!) as { command: string; success: boolean };
    expect(last).toMatchObject({ command: "bake", success: false });
  });

  it("--e2e is for the head node: on a login node it is bad input (exit 2) and nothing runs", async () => {
    const c = await simCluster();
    const r = cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "doctor", "--e2e"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--e2e runs on the head node (this node is a login node)");
    await expect(fs.stat(path.join(c.login, TEXTFILES, "pwb_agent_doctor.prom"))).rejects.toThrow(/ENOENT/);
  });
});
