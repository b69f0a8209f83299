// One live node: the bootable Debian 13 test image booted under systemd-nspawn (real systemd as PID 1,
// the distribution's own prometheus-node-exporter), the agent installed from the project's own .deb
// with dpkg, then detect, apply (no site), doctor, and the agent's metrics as the exporter serves them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEBIAN_TEXTFILE_DIR } from "../../agent/metrics/textfile-dir.js";
import { simulatedDnaJson } from "../../agent/simulation/node.js";
import { agentDeb } from "../helpers/agent-deb.js";
import { LiveCluster, type LiveNode } from "../helpers/live-node.js";
// @ts-expect-error: a plain .mjs script (also a CLI) without type declarations
import { ensureImage } from "./image.mjs";

const VERSION: string = JSON.parse(readFileSync("package.json", "utf8")).version;

let cluster: LiveCluster | null = null;
let node: LiveNode;
let image: { root: string; key: string; cached: boolean; ms: number };

beforeAll(async () => {
  image = await ensureImage();
  const deb = await agentDeb();
  console.log(`live: image ${image.key} ${image.cached ? "cached" : "built cold"} in ${image.ms} ms; deb ${deb.cached ? "cached" : "packaged"} in ${deb.ms} ms`);
  cluster = new LiveCluster(image.root);
  const t0 = performance.now();
  node = await cluster.boot({
    name: "login1",
    files: { "/etc/chef/dna.json": simulatedDnaJson({ role: "login", clusterName: "pwb-live", pool: "pool-a", os: "ubuntu2404", headNodeIp: "10.89.0.10" }) },
  });
  console.log(`live: node booted in ${Math.round(performance.now() - t0)} ms`);
  await node.copyIn(deb.deb, `/root/${path.basename(deb.deb)}`);
  await node.must(["dpkg", "-i", `/root/${path.basename(deb.deb)}`], { timeoutMs: 120_000 });
}, 900_000);

afterAll(async () => {
  await cluster?.remove();
});

const agent = (args: string[]) => node.exec(["pwb-agent", ...args], { timeoutMs: 120_000 });

describe("a live node from the test image, with the agent's .deb installed", () => {
  it("is the image it says: Debian 13 marked as the test node, with Slurm 24.11 and systemd as PID 1; the cached image stays untouched", async () => {
    expect(await node.readFile("/etc/os-release")).toMatch(/^VARIANT_ID="?pwb-test-node"?$/m);
    expect(await node.must(["slurmctld", "-V"])).toMatch(/^slurm(-wlm)? 24\.11\./);
    expect((await node.must(["ps", "-o", "comm=", "-p", "1"])).trim()).toBe("systemd");
    expect(await node.must(["dpkg-query", "-W", "-f", "${Version}", "pwb-agent"])).toBe(`${VERSION}-1`);
    // Installed as the distribution ships them, left disabled as on an AMI: each role enables its own.
    for (const unit of ["slurmctld.service", "slurmd.service", "munge.service", "postgresql.service", "prometheus.service"]) {
      expect((await node.exec(["systemctl", "is-enabled", unit])).stdout.trim(), unit).toBe("disabled");
    }
    // The node's writes went to its own layer: the cached image has no agent.
    expect(() => readFileSync(path.join(image.root, "usr/bin/pwb-agent"))).toThrow(/ENOENT/);
  });

  it("detect --json: the role and pool from dna.json, the OS as the unsupported test node", async () => {
    const r = await agent(["detect", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const f = JSON.parse(r.stdout);
    expect(f).toMatchObject({ role: "login", roleSource: "dna.json", cluster: { name: "pwb-live", pool: "pool-a" } });
    expect(f.os).toMatchObject({ family: "debian", supported: false, testNode: true });
  });

  it("apply (no site) enables and starts pwb-agent.service and the doctor timer under the real systemd", async () => {
    const r = await agent(["apply"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const unit of ["pwb-agent.service", "pwb-agent-doctor.timer"]) {
      expect((await node.exec(["systemctl", "is-enabled", unit])).stdout.trim(), unit).toBe("enabled");
    }
    expect((await node.exec(["systemctl", "is-active", "pwb-agent-doctor.timer"])).stdout.trim()).toBe("active");
    // A second apply finds nothing to do.
    const again = await agent(["apply", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changes: 0 });
  });

  it("doctor --json runs: no site is a failure it names, and its metrics go where the exporter reads them", async () => {
    const r = await agent(["doctor", "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const rows = JSON.parse(r.stdout).checks as Array<{ id: string; status: string; detail: string }>;
    expect(rows.find((c) => c.id === "site")).toMatchObject({ status: "fail" });
    expect(rows.find((c) => c.id === "agent.metrics")).toMatchObject({ status: "ok", detail: expect.stringContaining(DEBIAN_TEXTFILE_DIR) });
  });

  it("prometheus-node-exporter serves the agent's pwb_agent_* series from the apply and the doctor run", async () => {
    expect((await node.exec(["systemctl", "is-active", "prometheus-node-exporter.service"])).stdout.trim()).toBe("active");
    const metrics = await node.must(["curl", "-sS", "--max-time", "20", "http://127.0.0.1:9100/metrics"]);
    const value = (series: string) => metrics.split("\n").find((l) => l.startsWith(`${series} `) || l.startsWith(`${series}{`));
    expect(value("pwb_agent_info"), metrics.split("\n").filter((l) => /textfile/.test(l)).join("\n")).toMatch(/role="login"/);
    expect(value("pwb_agent_apply_last_run_success")).toMatch(/ 1$/);
    expect(value("pwb_agent_doctor_last_run_timestamp_seconds")).toBeDefined();
    expect(metrics).toMatch(/^pwb_agent_doctor_check_status\{[^}]*check="agent\.metrics"[^}]*\} /m);
    // The textfile collector read our files without errors.
    expect(metrics).toMatch(/^node_textfile_scrape_error 0$/m);
  });
});
