import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireLock } from "../../agent/engine/lock.js";
import { createLogger } from "../../agent/log.js";
import { plan } from "../../agent/engine/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import type { Resource } from "../../agent/engine/types.js";
import { context, converge, tempDir } from "../helpers/engine.js";

const UNIT = "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";

async function writeUnit(dir: string, name: string, text = UNIT) {
  await fs.mkdir(path.join(dir, "usr/lib/systemd/system"), { recursive: true });
  await fs.writeFile(path.join(dir, "usr/lib/systemd/system", name), text);
}

describe("service resource", () => {
  it("enables through the [Install] links systemctl would make, then reports nothing", async () => {
    const dir = await tempDir();
    await writeUnit(dir, "demo.service");
    const svc: Resource = { kind: "service", name: "demo.service", enabled: true, active: true };
    const first = await converge(dir, [svc]);
    expect(first.changes[0]!.summary).toEqual(["enable (multi-user.target.wants)", "start"]);
    const link = path.join(dir, "etc/systemd/system/multi-user.target.wants/demo.service");
    expect(await fs.readlink(link)).toBe("/usr/lib/systemd/system/demo.service");
    // A simulated root records the live commands instead of running them.
    expect(first.report.deferred).toEqual([["systemctl", "daemon-reload"], ["systemctl", "start", "demo.service"]]);
    const second = await converge(dir, [svc]);
    expect(second.changes).toEqual([]);
    expect(second.report.deferred).toEqual([]);
  });

  it("disables by removing every wants/requires link", async () => {
    const dir = await tempDir();
    await writeUnit(dir, "demo.service");
    await converge(dir, [{ kind: "service", name: "demo.service", enabled: true }]);
    await fs.mkdir(path.join(dir, "etc/systemd/system/graphical.target.requires"), { recursive: true });
    await fs.symlink("/usr/lib/systemd/system/demo.service", path.join(dir, "etc/systemd/system/graphical.target.requires/demo.service"));
    const { changes } = await converge(dir, [{ kind: "service", name: "demo.service", enabled: false }]);
    expect(changes[0]!.action).toBe("disable");
    expect(await fs.readdir(path.join(dir, "etc/systemd/system/multi-user.target.wants"))).toEqual([]);
    expect(await fs.readdir(path.join(dir, "etc/systemd/system/graphical.target.requires"))).toEqual([]);
  });

  it("treats a missing unit that should be disabled as already done", async () => {
    const dir = await tempDir();
    expect(await plan([{ kind: "service", name: "absent.timer", enabled: false, active: false }], context(dir))).toEqual([]);
  });

  it("fails clearly when a unit to enable does not exist", async () => {
    const dir = await tempDir();
    await expect(plan([{ kind: "service", name: "ghost.service", enabled: true }], context(dir))).rejects.toThrow(
      "cannot enable ghost.service: no unit file",
    );
  });

  it("restarts notified services once each, in declared order (launcher before server), after daemon-reload", async () => {
    const dir = await tempDir();
    await writeUnit(dir, "rstudio-launcher.service");
    await writeUnit(dir, "rstudio-server.service");
    const resources = (v: string): Resource[] => [
      { kind: "file", path: "/etc/rstudio/rserver.conf", content: `v=${v}\n`, mode: 0o644, notifies: ["rstudio-server.service"] },
      { kind: "file", path: "/etc/rstudio/launcher.conf", content: `v=${v}\n`, mode: 0o644, notifies: ["rstudio-launcher.service", "rstudio-server.service"] },
      { kind: "file", path: "/etc/systemd/system/rstudio-server.service.d/env.conf", content: `[Service]\nEnvironment=V=${v}\n`, mode: 0o644, notifies: ["rstudio-server.service"] },
      { kind: "service", name: "rstudio-launcher.service", enabled: true },
      { kind: "service", name: "rstudio-server.service", enabled: true },
    ];
    await converge(dir, resources("1"));
    const { report } = await converge(dir, resources("2"));
    expect(report.restarted).toEqual(["rstudio-launcher.service", "rstudio-server.service"]);
    expect(report.deferred).toEqual([
      ["systemctl", "daemon-reload"],
      ["systemctl", "try-restart", "rstudio-launcher.service"],
      ["systemctl", "try-restart", "rstudio-server.service"],
    ]);
    // Unchanged inputs: nothing restarts.
    expect((await converge(dir, resources("2"))).report.restarted).toEqual([]);
  });

  it("restarts only what read the changed file", async () => {
    const dir = await tempDir();
    const resources = (db: string): Resource[] => [
      { kind: "file", path: "/etc/rstudio/database.conf", content: `host=${db}\n`, mode: 0o600, notifies: ["rstudio-server.service"] },
      { kind: "file", path: "/etc/rstudio/launcher.conf", content: "x\n", mode: 0o644, notifies: ["rstudio-launcher.service"] },
    ];
    await converge(dir, resources("a"));
    const { report } = await converge(dir, resources("b"));
    expect(report.restarted).toEqual(["rstudio-server.service"]);
    expect(report.daemonReloaded).toBe(false);
  });
});

describe("package resource", () => {
  it("reads the root's dpkg database and installs only what is missing (recorded on a simulated root)", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "var/lib/dpkg/info"), { recursive: true });
    await fs.writeFile(path.join(dir, "var/lib/dpkg/status"),
      "Package: apptainer\nStatus: install ok installed\nVersion: 1.3.4\nArchitecture: amd64\nMaintainer: x\nDescription: x\n\n");
    const ctx = context(dir, "debian");
    const changes = await plan([
      { kind: "package", name: "apptainer", version: "1.3.4" },
      { kind: "package", name: "quarto" },
      { kind: "package", name: "apptainer-suid", version: "1.3.4" },
    ], ctx);
    expect(changes.map((c) => [c.id, c.summary[0]])).toEqual([
      ["package:quarto", "install any version"],
      ["package:apptainer-suid", "install 1.3.4"],
    ]);
    const upgrade = await plan([{ kind: "package", name: "apptainer", version: "1.4.0" }], ctx);
    expect(upgrade[0]!.summary).toEqual(["1.3.4 → 1.4.0"]);
    const { report } = await converge(dir, [{ kind: "package", name: "quarto", version: "1.6.39" }], "debian");
    expect(report.deferred).toEqual([
      ["apt-get", "install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", "quarto=1.6.39"],
    ]);
  });

  it("needs a known OS family", async () => {
    const dir = await tempDir();
    await expect(plan([{ kind: "package", name: "x" }], context(dir, null))).rejects.toThrow("known OS family");
  });
});

describe("download resource", () => {
  const body = Buffer.from("artifact ".repeat(5000));
  const sha = createHash("sha256").update(body).digest("hex");
  let server: http.Server;
  let base = "";
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === "/a.tar.gz") res.end(body);
      else res.writeHead(404).end("nope");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("downloads, verifies and skips the second time without a request", async () => {
    const dir = await tempDir();
    const r: Resource = { kind: "download", url: `${base}/a.tar.gz`, sha256: sha, path: "/var/cache/pwb/a.tar.gz", mode: 0o644 };
    hits = 0;
    await converge(dir, [r]);
    expect(await fs.readFile(path.join(dir, "var/cache/pwb/a.tar.gz"))).toEqual(body);
    expect((await converge(dir, [r])).changes).toEqual([]);
    expect(hits).toBe(1);
  });

  it("refuses a sha256 mismatch and leaves nothing behind", async () => {
    const dir = await tempDir();
    const r: Resource = { kind: "download", url: `${base}/a.tar.gz`, sha256: "0".repeat(64), path: "/var/cache/pwb/a.tar.gz", mode: 0o644 };
    await expect(converge(dir, [r])).rejects.toThrow(/sha256 mismatch .* nothing installed/);
    expect(await fs.readdir(path.join(dir, "var/cache/pwb"))).toEqual([]);
  });

  it("fails on HTTP errors", async () => {
    const dir = await tempDir();
    const r: Resource = { kind: "download", url: `${base}/missing`, sha256: sha, path: "/x", mode: 0o644 };
    await expect(converge(dir, [r])).rejects.toThrow("HTTP 404");
  });
});

describe("command resource", () => {
  it("runs once on the live node, guarded by creates", async () => {
    const dir = await tempDir();
    const marker = path.join(dir, "built");
    const r: Resource = { kind: "command", label: "build", argv: ["touch", marker], creates: marker };
    const live = context("/");
    const first = await plan([r], live);
    expect(first[0]!.summary).toEqual([`touch ${marker}`]);
    const { apply } = await import("../../agent/engine/apply.js");
    const report = await apply(first, [r], live);
    expect(report.commandsRun).toBe(1);
    await fs.access(marker);
    expect(await plan([r], context("/"))).toEqual([]);
  });

  it("honours an unless guard on the live node", async () => {
    expect(await plan([{ kind: "command", label: "noop", argv: ["false"], unless: ["true"] }], context("/"))).toEqual([]);
    expect(await plan([{ kind: "command", label: "noop", argv: ["false"], unless: ["false"] }], context("/"))).toHaveLength(1);
  });

  it("reports what already applied when a command fails", async () => {
    const dir = await tempDir();
    const resources: Resource[] = [
      { kind: "file", path: `${dir}/first`, content: "1", mode: 0o644 },
      { kind: "command", label: "fails", argv: ["sh", "-c", "echo boom >&2; exit 3"] },
    ];
    const ctx = context("/");
    const { apply } = await import("../../agent/engine/apply.js");
    const err = await apply(await plan(resources, ctx), resources, ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/applying command:fails failed: command failed \(exit 3\).*\nboom/s);
    expect((err as { details: { alreadyApplied: string[] } }).details.alreadyApplied).toEqual([`file:${dir}/first`]);
  });
});

describe("apply lock", () => {
  it("makes a second holder wait, then fail with a clear message", async () => {
    const dir = await tempDir();
    const held = await acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 1000);
    const t0 = Date.now();
    await expect(acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 400)).rejects.toThrow(
      new RegExp(`another pwb-agent run \\(pid ${process.pid}\\) holds .*apply\\.lock; gave up after 0 s`),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    await held.release();
    const again = await acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 100);
    await again.release();
  });

  it("takes over a lock whose owner is gone", async () => {
    const dir = await tempDir();
    const lockPath = path.join(dir, "/run/pwb-agent/apply.lock");
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    await fs.writeFile(lockPath, "999999999 12345\n"); // no such process
    const lock = await acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 200);
    expect(await fs.readFile(lockPath, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
    await expect(fs.access(lockPath)).rejects.toThrow();
  });
});

describe("masked services", () => {
  it("leaves a unit an administrator masked alone, and says so", async () => {
    const dir = await tempDir();
    await writeUnit(dir, "demo.service");
    await fs.mkdir(path.join(dir, "etc/systemd/system"), { recursive: true });
    await fs.symlink("/dev/null", path.join(dir, "etc/systemd/system/demo.service"));
    const warnings: string[] = [];
    const ctx = context(dir);
    ctx.log = createLogger({ sink: (l) => warnings.push(JSON.parse(l).msg) });
    expect(await plan([{ kind: "service", name: "demo.service", enabled: true, active: true }], ctx)).toEqual([]);
    expect(warnings).toEqual(["masked by an administrator: not enabled or started (systemctl unmask to hand it back)"]);
    expect(await plan([{ kind: "service", name: "demo.service", enabled: false, active: false }], context(dir))).toEqual([]);
  });
});

describe("apply lock, crash during a takeover", () => {
  it("is not blocked by the leftover of a breaker that was killed", async () => {
    const dir = await tempDir();
    const lockPath = path.join(dir, "/run/pwb-agent/apply.lock");
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    await fs.writeFile(lockPath, "999999998 1\n");
    await fs.writeFile(`${lockPath}.break`, "999999997 1\n"); // a dead breaker's file, seconds old
    const t0 = Date.now();
    const lock = await acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    await lock.release();
    expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
  });

  it("is not blocked by an empty lock file or a killed process's temporary file", async () => {
    const dir = await tempDir();
    const lockPath = path.join(dir, "/run/pwb-agent/apply.lock");
    await fs.mkdir(path.dirname(lockPath), { recursive: true });
    await fs.writeFile(lockPath, "");
    await fs.writeFile(`${lockPath}.999999996.0badc0de.tmp`, "999999996 1\n");
    const lock = await acquireLock(new Root(dir), "/run/pwb-agent/apply.lock", 500);
    await lock.release();
    expect(await fs.readdir(path.dirname(lockPath))).toEqual([]);
  });
});
