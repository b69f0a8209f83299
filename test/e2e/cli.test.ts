import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EMBEDDED_UNITS } from "../../agent/components/units/index.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { acquireLock, LOCK_PATH } from "../../agent/engine/lock.js";
import { Root } from "../../agent/nodefs/root.js";
import { cli } from "../helpers/cli.js";
import { snapshot, tempDir } from "../helpers/engine.js";

const G = ["--no-imds"];

describe("pwb-agent plan / apply on simulated nodes", () => {
  it("login node: plan exits 10, apply converges, a second apply changes nothing and writes 0 bytes", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login" });
    const p = cli([...G, "--root", dir, "plan"]);
    expect(p.code).toBe(10);
    expect(p.stdout).toContain("+ file /usr/lib/systemd/system/pwb-agent.service  (create)");
    expect(p.stdout).toContain("+ service pwb-agent.service  (enable)");
    expect(p.stdout).not.toContain("pwb-alb-sync.timer");

    const a = cli([...G, "--root", dir, "--json", "apply"]);
    expect(a.code, a.stderr).toBe(0);
    const report = JSON.parse(a.stdout);
    // pwb-agent.service enabled; the doctor timer and pwb-alb-self.service (self-registration) installed, enabled and started
    expect(report.changes).toBe(7);
    expect(report.deferred).toEqual([["systemctl", "daemon-reload"], ["systemctl", "start", "pwb-agent-doctor.timer"], ["systemctl", "start", "pwb-alb-self.service"]]);
    expect(await fs.readlink(path.join(dir, "etc/systemd/system/multi-user.target.wants/pwb-agent.service"))).toBe(
      "/usr/lib/systemd/system/pwb-agent.service",
    );
    await expect(fs.access(path.join(dir, "usr/lib/systemd/system/pwb-alb-sync.timer"))).rejects.toThrow();

    // Every apply records its own run (last-apply.json, the metrics textfile): that, and only that, is rewritten.
    const RUN_RECORDS = ["var/lib/pwb-agent/last-apply.json", "var/lib/node_exporter/textfile_collector/pwb_agent.prom", "var/log/pwb-agent/runs.jsonl"];
    const nodeState = async () => Object.fromEntries(Object.entries(await snapshot(dir)).filter(([p]) => !RUN_RECORDS.includes(p)));
    const before = await nodeState();
    expect(Object.keys(await snapshot(dir))).toEqual(expect.arrayContaining(RUN_RECORDS));
    const again = JSON.parse(cli([...G, "--root", dir, "--json", "apply"]).stdout);
    expect(again).toMatchObject({ changes: 0, filesWritten: 0, bytesWritten: 0, restarted: [], deferred: [] });
    expect(await nodeState()).toEqual(before);
    expect(cli([...G, "--root", dir, "plan"]).code).toBe(0);
  });

  it("head node: installs and enables the ALB sync timer; a changed timer file restarts it", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "head" });
    const first = JSON.parse(cli([...G, "--root", dir, "--json", "apply"]).stdout);
    expect(first.applied.map((a: { id: string }) => a.id)).toEqual([
      "file:/usr/lib/systemd/system/pwb-agent.service",
      "service:pwb-agent.service",
      "file:/usr/lib/systemd/system/pwb-agent-doctor.service",
      "file:/usr/lib/systemd/system/pwb-agent-doctor.timer",
      "service:pwb-agent-doctor.timer",
      "file:/usr/lib/systemd/system/pwb-alb-sync.service",
      "file:/usr/lib/systemd/system/pwb-alb-sync.timer",
      "service:pwb-alb-sync.timer",
    ]);
    expect(first.deferred).toEqual([["systemctl", "daemon-reload"], ["systemctl", "start", "pwb-agent-doctor.timer"], ["systemctl", "start", "pwb-alb-sync.timer"]]);
    expect(first.restarted).toEqual([]); // just started, not restarted
    expect(await fs.readlink(path.join(dir, "etc/systemd/system/timers.target.wants/pwb-alb-sync.timer"))).toBe(
      "/usr/lib/systemd/system/pwb-alb-sync.timer",
    );

    await fs.writeFile(path.join(dir, "usr/lib/systemd/system/pwb-alb-sync.timer"), "[Timer]\nOnUnitActiveSec=5min\n");
    const drift = cli([...G, "--root", dir, "plan"]);
    expect(drift.code).toBe(10);
    expect(drift.stdout).toContain("-OnUnitActiveSec=5min");
    expect(drift.stdout).toContain("+OnUnitActiveSec=25s");
    const fix = JSON.parse(cli([...G, "--root", dir, "--json", "apply"]).stdout);
    expect(fix.restarted).toEqual(["pwb-alb-sync.timer"]);
    expect(fix.deferred).toEqual([["systemctl", "daemon-reload"], ["systemctl", "try-restart", "pwb-alb-sync.timer"]]);
  });

  it("compute node: disables an ALB sync timer someone enabled, leaves the package's files alone", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "compute" });
    const unitDir = path.join(dir, "usr/lib/systemd/system");
    await fs.mkdir(unitDir, { recursive: true });
    await fs.writeFile(path.join(unitDir, "pwb-alb-sync.timer"), EMBEDDED_UNITS["pwb-alb-sync.timer"]!);
    await fs.mkdir(path.join(dir, "etc/systemd/system/timers.target.wants"), { recursive: true });
    await fs.symlink("/usr/lib/systemd/system/pwb-alb-sync.timer", path.join(dir, "etc/systemd/system/timers.target.wants/pwb-alb-sync.timer"));
    const r = JSON.parse(cli([...G, "--root", dir, "--json", "apply"]).stdout);
    expect(r.applied).toContainEqual(expect.objectContaining({ id: "service:pwb-alb-sync.timer", action: "disable" }));
    expect(await fs.readdir(path.join(dir, "etc/systemd/system/timers.target.wants"))).toEqual(["pwb-agent-doctor.timer"]);
    expect(await fs.readFile(path.join(unitDir, "pwb-alb-sync.timer"), "utf8")).toBe(EMBEDDED_UNITS["pwb-alb-sync.timer"]);
  });

  it("units install does the same for the units component only", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "head" });
    const r = cli([...G, "--root", dir, "units", "install"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Applied 8 changes/);
    expect(cli([...G, "--root", dir, "plan"]).code).toBe(0);
  });

  it("plan --json is machine-readable with logs kept off stdout", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login" });
    const r = cli([...G, "--root", dir, "--json", "--verbose", "plan"]);
    expect(r.code).toBe(10);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.count).toBe(7);
    expect(parsed.changes[0]).toMatchObject({ id: "file:/usr/lib/systemd/system/pwb-agent.service", kind: "file", action: "create" });
    expect(parsed.changes[0].diff).toContain("+ExecStart=/usr/bin/pwb-agent apply");
  });

  it("a second apply waits for the lock, then gives up with exit 1 and a clear message", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login" });
    // A live process holds the lock: this test process.
    const held = await acquireLock(new Root(dir), LOCK_PATH, 1_000);
    const t0 = Date.now();
    const r = cli([...G, "--root", dir, "apply", "--lock-timeout", "1"]);
    await held.release();
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toContain(`another pwb-agent run (pid ${process.pid}) holds`);
    expect(r.stderr).toContain("gave up after 1 s (--lock-timeout)");
    await expect(fs.access(path.join(dir, "usr/lib/systemd/system/pwb-agent.service"))).rejects.toThrow();
    // It ran nothing, so it is no apply of this node: nothing recorded.
    await expect(fs.access(path.join(dir, "var/lib/pwb-agent/last-apply.json"))).rejects.toThrow();
  });
});

describe("bad input: exit 2, a message naming the problem, nothing changed", () => {
  it("no role facts at all", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login", factFiles: "none" });
    const before = await snapshot(dir);
    for (const cmd of ["detect", "plan", "apply"]) {
      const r = cli([...G, "--root", dir, cmd]);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr).toContain("/etc/chef/dna.json");
      expect(r.stderr).toContain("/etc/parallelcluster/cfnconfig");
      expect(r.stderr).toContain("--role");
    }
    expect(await snapshot(dir)).toEqual(before);
  });

  it("a malformed dna.json", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login" });
    await fs.writeFile(path.join(dir, "etc/chef/dna.json"), '{"cluster": {"node_type": ');
    const before = await snapshot(dir);
    const r = cli([...G, "--root", dir, "apply"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/etc/chef/dna.json");
    expect(await snapshot(dir)).toEqual(before);
  });

  it("--role overrides missing facts", async () => {
    const dir = await tempDir();
    await writeSimulatedNode(dir, { role: "login", factFiles: "none" });
    const r = cli([...G, "--root", dir, "--role", "compute", "--json", "detect"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ role: "compute", roleSource: "override" });
  });

  it("usage errors", async () => {
    expect(cli(["--role", "boss", "detect"]).code).toBe(2);
    expect(cli(["frobnicate"]).code).toBe(2);
    expect(cli(["apply", "--lock-timeout", "soon"]).code).toBe(2);
    const missingRoot = cli([...G, "--root", "/nonexistent/pwb", "detect"]);
    expect(missingRoot.code).toBe(2);
    expect(missingRoot.stderr).toContain("--root /nonexistent/pwb: not a directory");
  });
});

describe("demo", () => {
  it("applies a simulated head node, then plans, applies and re-applies a login node sharing its storage", () => {
    const r = cli(["demo"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("login$ pwb-agent detect");
    expect(r.stdout).toMatch(/role\s+login \(from dna\.json\)/);
    expect(r.stdout).toContain("create  file:/opt/rstudio/etc/rstudio/rserver.conf");
    expect(r.stdout).toContain("+ file /etc/systemd/system/rstudio-server.service.d/pwb-agent.conf  (create)");
    expect(r.stdout).toContain("Converged: the second apply made 0 changes and wrote 0 bytes.");
    // The generated password and keys never reach the output.
    expect(r.stdout).not.toMatch(/BEGIN (RSA )?PRIVATE KEY|password=/);
  });
});

describe("demo --bake", () => {
  it("bakes an image from a loopback mirror, boots four roles with zero installs, and --keep DIR leaves the image and its site", async () => {
    const keep = await tempDir("pwb-demo-keep-");
    const r = cli(["demo", "--bake", "--keep", keep]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("image$ pwb-agent bake");
    expect(r.stdout).toContain("install packages:workbench");
    for (const node of ["head", "login", "compute", "gpu-compute"]) {
      expect(r.stdout).toMatch(new RegExp(`first boot of ${node}: 0 packages installed, 0 downloads, 0 package/download/command resources, 0 commands run, \\d+ ms`));
    }
    expect(r.stdout).toContain("Zero-install first boot on every role");
    // The kept image was baked, never booted: no role facts, no first-boot configuration.
    expect(await fs.readFile(path.join(keep, "image/var/lib/dpkg/status"), "utf8")).toContain("Package: rstudio-workbench");
    await expect(fs.access(path.join(keep, "image/etc/chef/dna.json"))).rejects.toThrow();
    await expect(fs.access(path.join(keep, "image/usr/lib/systemd/system/pwb-agent.service"))).rejects.toThrow();
    expect(await fs.readFile(path.join(keep, "site.yaml"), "utf8")).toMatch(/^containers:\n  enabled: true$/m);
  });
});
