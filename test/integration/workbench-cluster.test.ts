import { createPrivateKey } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyNode, planNode } from "../../agent/node/converge.js";
import { Root } from "../../agent/nodefs/root.js";
import { RuntimeFailure } from "../../agent/errors.js";
import { gatherFacts } from "../../agent/facts/index.js";
import { createLogger, type Logger } from "../../agent/log.js";
import { loadSite } from "../../agent/site/load.js";
import { snapshot } from "../helpers/engine.js";
import { FAKE, simCluster, simSiteYaml, type SimCluster } from "../helpers/workbench.js";

/*
 * A head node and a login node on simulated roots that share /opt/rstudio and /home, converged by
 * the real plan/apply path with the real site loader: who writes what, restart rules, keys.
 */

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: "debug", sink: (l) => lines.push(l) }), lines };
}

async function node(dir: string, siteFile: string, log = capture().log) {
  const root = new Root(dir);
  const facts = await gatherFacts({ root, imds: { enabled: false }, log });
  const site = await loadSite({ site: siteFile, root, log });
  return {
    apply: () => applyNode(root, facts, log, { lockTimeoutMs: 5_000, site }),
    plan: () => planNode(root, facts, log, { site }),
  };
}

const read = (c: SimCluster, p: string) => fs.readFile(path.join(c.head, p), "utf8");
const mode = async (c: SimCluster, p: string) => (await fs.stat(path.join(c.head, p))).mode & 0o7777;
const CFG = "opt/rstudio/etc/rstudio";

describe("head node: renders the shared configuration once", () => {
  it("writes every file, generates the keys once (RSA 2048, 0600), then converges to an empty plan", async () => {
    const c = await simCluster();
    const head = await node(c.head, c.siteFile);
    const first = await head.apply();
    expect(first.applied.at(-1)).toMatchObject({ id: "file:/opt/rstudio/etc/pwb-agent/manifest.json", action: "create" });
    for (const key of ["secure-cookie-key", "launcher.pem", "launcher.pub", "database.conf"]) expect(await mode(c, `${CFG}/${key}`)).toBe(0o600);
    const pem = createPrivateKey(await read(c, `${CFG}/launcher.pem`));
    expect([pem.asymmetricKeyType, pem.asymmetricKeyDetails?.modulusLength]).toEqual(["rsa", 2048]);
    expect(await read(c, `${CFG}/secure-cookie-key`)).toMatch(/^[0-9a-f]{32}\n$/);
    expect(await read(c, `${CFG}/database.conf`)).toContain(`password=${FAKE.password}\n`);
    expect((await fs.stat(path.join(c.shared, "home/rstudio-shared-storage"))).uid).toBe(998);

    const keysBefore = await Promise.all(["secure-cookie-key", "launcher.pem", "launcher.pub"].map((k) => read(c, `${CFG}/${k}`)));
    const before = await snapshot(c.shared);
    const again = await head.apply();
    expect(again).toMatchObject({ changes: 0, filesWritten: 0, restarted: [] });
    expect(await head.plan()).toEqual([]);
    expect(await snapshot(c.shared)).toEqual(before);
    expect(await Promise.all(["secure-cookie-key", "launcher.pem", "launcher.pub"].map((k) => read(c, `${CFG}/${k}`)))).toEqual(keysBefore);
  });

  it("disables the Workbench services the package enabled, and never starts them", async () => {
    const c = await simCluster();
    const wants = path.join(c.head, "etc/systemd/system/multi-user.target.wants");
    await fs.mkdir(wants, { recursive: true });
    await fs.symlink("/usr/lib/systemd/system/rstudio-server.service", path.join(wants, "rstudio-server.service"));
    const report = await (await node(c.head, c.siteFile)).apply();
    expect(report.applied).toContainEqual(expect.objectContaining({ id: "service:rstudio-server.service", action: "disable" }));
    expect(await fs.readdir(wants)).not.toContain("rstudio-server.service");
    expect(report.deferred.filter((argv) => argv[1] === "start" && argv[2]?.startsWith("rstudio-"))).toEqual([]);
  });

  it("never regenerates a key: a private key without its public half, or a broken one, stops the apply with nothing changed", async () => {
    const c = await simCluster();
    const head = await node(c.head, c.siteFile);
    await head.apply();
    await fs.rm(path.join(c.head, CFG, "launcher.pem"));
    const before = await snapshot(c.shared);
    await expect(head.apply()).rejects.toThrow(/launcher\.pub exists without launcher\.pem; refusing to generate a new pair/);
    expect(await snapshot(c.shared)).toEqual(before);

    await fs.writeFile(path.join(c.head, CFG, "launcher.pem"), "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n", { mode: 0o600 });
    await expect(head.apply()).rejects.toThrow(RuntimeFailure);
    await expect(head.apply()).rejects.toThrow(/not a readable private key.*refusing to replace it/);
  });

  it("refuses to render onto its own disk when the shared file system is not mounted", async () => {
    const c = await simCluster();
    await fs.writeFile(path.join(c.head, "proc/mounts"), "/dev/nvme0n1p1 / xfs rw 0 0\n172.31.0.9@tcp:/fsx /home lustre rw 0 0\n");
    const before = await snapshot(c.shared);
    await expect((await node(c.head, c.siteFile)).apply()).rejects.toThrow(
      /\/opt\/rstudio is not on a mounted shared file system \(only \/ holds it\): refusing to render/,
    );
    expect(await snapshot(c.shared)).toEqual(before);
  });

  it("adopts a key someone changed on shared storage, and says so", async () => {
    const c = await simCluster();
    await (await node(c.head, c.siteFile)).apply();
    await fs.writeFile(path.join(c.head, CFG, "secure-cookie-key"), "fedcba9876543210fedcba9876543210\n", { mode: 0o600 });
    const { log, lines } = capture();
    const report = await (await node(c.head, c.siteFile, log)).apply();
    expect(await read(c, `${CFG}/secure-cookie-key`)).toBe("fedcba9876543210fedcba9876543210\n");
    expect(report.applied.map((a) => a.id)).toEqual(["file:/opt/rstudio/etc/pwb-agent/manifest.json"]);
    expect(lines.join("")).toContain("secure-cookie-key changed since the last apply (not by pwb-agent): keeping it");
  });
});

describe("login node: runs Workbench from the shared configuration", () => {
  async function converged(siteYaml?: string) {
    const c = await simCluster(siteYaml);
    await (await node(c.head, c.siteFile)).apply();
    const login = await node(c.login, c.siteFile);
    return { c, login, first: await login.apply() };
  }

  it("drop-ins, limits, stamps; both services enabled and started, launcher first; never writes the shared directory", async () => {
    const c = await simCluster();
    await (await node(c.head, c.siteFile)).apply();
    const shared = await snapshot(c.shared);
    const login = await node(c.login, c.siteFile);
    const first = await login.apply();
    expect(await snapshot(c.shared)).toEqual(shared);
    expect(first.deferred).toEqual([
      // The agent's own units first, in their own pass (reloaded, started), then the rest.
      ["systemctl", "daemon-reload"],
      ["systemctl", "start", "pwb-agent-doctor.timer"],
      ["systemctl", "start", "pwb-alb-self.service"], // joins the ALB once Workbench answers
      ["systemctl", "daemon-reload"],
      ["systemctl", "start", "rstudio-launcher.service"],
      ["systemctl", "start", "rstudio-server.service"],
      ["systemctl", "try-restart", "systemd-sysctl.service"],
    ]);
    expect(await fs.readFile(path.join(c.login, "etc/systemd/system/rstudio-server.service.d/pwb-agent.conf"), "utf8")).toContain(
      'Environment="RSTUDIO_CONFIG_DIR=/opt/rstudio/etc/rstudio"\nLimitNOFILE=32768\n',
    );
    expect(await fs.readlink(path.join(c.login, "etc/systemd/system/multi-user.target.wants/rstudio-server.service"))).toBe(
      "/usr/lib/systemd/system/rstudio-server.service",
    );
    expect(await login.apply()).toMatchObject({ changes: 0, filesWritten: 0, restarted: [], deferred: [] });
    expect(await login.plan()).toEqual([]);
  });

  it("a changed database.conf restarts rstudio-server only", async () => {
    const { c } = await converged();
    await fs.writeFile(c.siteFile, simSiteYaml().replace("  host: 127.0.0.1", "  host: 127.0.0.1\n  port: 5433"));
    const head = await node(c.head, c.siteFile);
    expect((await head.apply()).applied.map((a) => a.id)).toEqual([
      "file:/etc/pwb-agent/site.yaml",
      "file:/opt/rstudio/etc/rstudio/database.conf",
      "file:/opt/rstudio/etc/pwb-agent/manifest.json",
    ]);
    const report = await (await node(c.login, c.siteFile)).apply();
    expect(report.restarted).toEqual(["rstudio-server.service"]);
    expect(report.deferred).toEqual([["systemctl", "try-restart", "rstudio-server.service"]]);
    expect(await (await node(c.login, c.siteFile)).plan()).toEqual([]);
  });

  it("a changed launcher port restarts the launcher, then the server", async () => {
    const { c } = await converged();
    await fs.writeFile(c.siteFile, simSiteYaml().replace("  url: https://workbench.example.com", "  url: https://workbench.example.com\n  launcherPort: 5560"));
    await (await node(c.head, c.siteFile)).apply();
    const report = await (await node(c.login, c.siteFile)).apply();
    expect(report.restarted).toEqual(["rstudio-launcher.service", "rstudio-server.service"]);
  });

  it("without the head's configuration: converges its own files, leaves Workbench stopped, exits normally", async () => {
    const c = await simCluster();
    const { log, lines } = capture();
    const login = await node(c.login, c.siteFile, log);
    const report = await login.apply();
    // Enabled for the next boot, not started; try-restart (from the new drop-in) leaves a stopped service stopped.
    expect(report.deferred.filter((argv) => argv[1] === "start" && argv[2]!.startsWith("rstudio-"))).toEqual([]);
    expect(report.applied.map((a) => a.id)).toContain("service:rstudio-server.service");
    expect(lines.join("")).toContain("shared Workbench configuration not ready");
    await (await node(c.head, c.siteFile)).apply();
    // Now ready: the restart stamps appear and both services are declared active (on a live node
    // `systemctl is-active` then starts them; a simulated root cannot tell they are stopped).
    const later = await login.apply();
    expect(later.applied.map((a) => a.id)).toEqual([
      "file:/var/lib/pwb-agent/workbench/rstudio-launcher.inputs",
      "file:/var/lib/pwb-agent/workbench/rstudio-server.inputs",
    ]);
  });

  it("waits, bounded, for a head node that is still rendering", async () => {
    const c = await simCluster(simSiteYaml().replace("sharedConfigWaitSeconds: 0", "sharedConfigWaitSeconds: 10"));
    const login = await node(c.login, c.siteFile);
    const started = Date.now();
    const applying = login.apply();
    await new Promise((r) => setTimeout(r, 300));
    await (await node(c.head, c.siteFile)).apply();
    const report = await applying;
    expect(report.deferred).toContainEqual(["systemctl", "start", "rstudio-server.service"]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("gives up after sharedConfigWaitSeconds instead of waiting forever", async () => {
    const c = await simCluster(simSiteYaml().replace("sharedConfigWaitSeconds: 0", "sharedConfigWaitSeconds: 1"));
    const { log, lines } = capture();
    const started = Date.now();
    await (await node(c.login, c.siteFile, log)).apply();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(3_000);
    expect(lines.join("")).toMatch(/no manifest at \/opt\/rstudio\/etc\/pwb-agent\/manifest\.json.*\(waited 1 s\)/);
  });

  it("a half-written configuration is not ready: a file that differs from the manifest means the head is mid-write", async () => {
    const { c } = await converged();
    await fs.appendFile(path.join(c.shared, "opt-rstudio/etc/rstudio/rserver.conf"), "half-written=1\n");
    const { log, lines } = capture();
    const report = await (await node(c.login, c.siteFile, log)).apply();
    expect(report.restarted).toEqual([]);
    expect(lines.join("")).toContain("rserver.conf differs from the manifest");
  });

  it("keeps the site it was given, so a later boot's plain `pwb-agent apply` converges to the same", async () => {
    const { c } = await converged();
    expect(await fs.readFile(path.join(c.login, "etc/pwb-agent/site.yaml"), "utf8")).toBe(await fs.readFile(c.siteFile, "utf8"));
    const root = new Root(c.login);
    const log = capture().log;
    const facts = await gatherFacts({ root, imds: { enabled: false }, log });
    const site = await loadSite({ root, log }); // no --site: /etc/pwb-agent/site.yaml under the root
    expect(site?.source).toBe("/etc/pwb-agent/site.yaml");
    expect(await planNode(root, facts, log, { site })).toEqual([]);
  });

  it("a login apply is fast", async () => {
    const { c } = await converged();
    const started = performance.now();
    await (await node(c.login, c.siteFile)).apply();
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("the agent's own units come first", () => {
  it("a head node whose Workbench step fails (a directory where rserver.conf goes) still has pwb-agent.service enabled, so the next boot retries", async () => {
    const c = await simCluster();
    await fs.mkdir(path.join(c.shared, "opt-rstudio/etc/rstudio/rserver.conf"), { recursive: true });
    const head = await node(c.head, c.siteFile);
    await expect(head.apply()).rejects.toThrow(/rserver\.conf/);
    const link = await fs.readlink(path.join(c.head, "etc/systemd/system/multi-user.target.wants/pwb-agent.service"));
    expect(link).toBe("/usr/lib/systemd/system/pwb-agent.service");
  });
});
