import { promises as fs } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDatabase } from "../../agent/doctor/database.js";
import { checkHttp } from "../../agent/doctor/system.js";
import { cli } from "../helpers/cli.js";
import { startPostgres, type Postgres } from "../helpers/postgres.js";
import { simCluster, simSiteYaml } from "../helpers/workbench.js";

/*
 * doctor's database check against a real PostgreSQL this file starts on loopback (random port, own
 * data directory, run as the postgres user), through the pg client library, and the whole `doctor`
 * command on a simulated login node.
 */

let pg: Postgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

const target = (over: Partial<Postgres> = {}) => ({
  host: pg.host,
  port: pg.port,
  database: pg.database,
  user: pg.user,
  password: pg.password,
  sslMode: "disable",
  ...over,
});

describe("database check (real PostgreSQL, real client)", () => {
  it("good credentials: reachable and accepted", async () => {
    const r = await checkDatabase(target());
    expect(r.status).toBe("ok");
    expect(r.detail).toMatch(new RegExp(`^127\\.0\\.0\\.1:${pg.port}/pwb: connected as pwb, credentials accepted \\(PostgreSQL \\d+`));
  });

  it("a wrong password: reachable, credentials rejected, and the password is not in the message", async () => {
    const r = await checkDatabase(target({ password: "wrong-password-7d3e" }));
    expect(r).toEqual({ status: "fail", detail: `127.0.0.1:${pg.port}/pwb: reachable, but the server rejected the credentials for user "pwb" (password authentication failed)` });
  });

  it("a missing database and a closed port say which", async () => {
    expect((await checkDatabase(target({ database: "nope" }))).detail).toContain('database "nope" does not exist');
    const closed = await checkDatabase(target({ port: 1 }));
    expect(closed.status).toBe("fail");
    expect(closed.detail).toContain("not reachable: connection refused");
  });
});

describe("pwb-agent doctor on a simulated login node", () => {
  async function cluster(password: string) {
    const yaml = simSiteYaml().replace("  host: 127.0.0.1", `  host: 127.0.0.1\n  port: ${pg.port}`);
    const c = await simCluster(yaml, password);
    for (const [dir, extra] of [[c.head, []], [c.login, []]] as const) {
      const r = cli(["--root", dir, "--no-imds", "--site", c.siteFile, "--quiet", "apply", ...extra]);
      expect(r.code, r.stderr).toBe(0);
    }
    return c;
  }

  it("passes every check it can make; says skipped, not ok, for the running system", async () => {
    const c = await cluster(pg.password);
    const r = cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "--json", "doctor"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; simulated: boolean; checks: Array<{ name: string; status: string; detail: string }> };
    expect(report).toMatchObject({ ok: true, simulated: true });
    const status = Object.fromEntries(report.checks.map((ch) => [ch.name, ch.status]));
    expect(status).toEqual({
      site: "ok",
      "shared config": "ok",
      keys: "ok",
      "systemd drop-ins": "ok",
      "rstudio-launcher.service": "skipped",
      "rstudio-server.service": "skipped",
      "health-check": "skipped",
      launcher: "skipped",
      metrics: "skipped",
      database: "ok",
      "storage /opt/rstudio": "ok",
      "storage /home": "ok",
      "last apply": "ok",
      "owed restarts": "ok",
      drift: "ok",
      "agent units": "ok",
      "metrics textfiles": "skipped",
    });
    expect(report.checks.find((ch) => ch.name === "rstudio-server.service")?.detail).toBe("simulated root: not checked on this machine");

    const table = cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "doctor"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CHECK +STATUS +DETAIL$/m);
    expect(table.stdout).toMatch(/^database +ok +127\.0\.0\.1:\d+\/pwb: connected as pwb, credentials accepted/m);
    expect(table.stdout).toContain("All 11 checks passed on this login node (6 skipped).");
  });

  it("a wrong database password fails the database check and exits 1, without printing it", async () => {
    const c = await cluster("not-the-password-8b2f");
    const r = cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "doctor"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^database +FAIL +127\.0\.0\.1:\d+\/pwb: reachable, but the server rejected the credentials for user "pwb"/m);
    expect(r.stdout).toContain("1 of 17 checks failed on this login node.");
    expect(r.stdout + r.stderr).not.toContain("not-the-password-8b2f");
  });

  it("a broken node fails the checks that see it: missing drop-in, a stray local key, unmounted storage", async () => {
    const c = await cluster(pg.password);
    await fs.rm(path.join(c.login, "etc/systemd/system/rstudio-server.service.d/pwb-agent.conf"));
    await fs.mkdir(path.join(c.login, "etc/rstudio"), { recursive: true });
    await fs.writeFile(path.join(c.login, "etc/rstudio/secure-cookie-key"), "a-different-key-0000000000000000\n");
    await fs.writeFile(path.join(c.login, "proc/mounts"), "/dev/nvme0n1p1 / xfs rw 0 0\n");
    const r = cli(["--root", c.login, "--no-imds", "--site", c.siteFile, "--json", "doctor"]);
    expect(r.code).toBe(1);
    const failed = Object.fromEntries(
      (JSON.parse(r.stdout).checks as Array<{ name: string; status: string; detail: string }>).filter((ch) => ch.status === "fail").map((ch) => [ch.name, ch.detail]),
    );
    expect(Object.keys(failed).sort()).toEqual(["keys", "storage /home", "storage /opt/rstudio", "systemd drop-ins"]);
    expect(failed.keys).toBe("node-local keys differ from the shared ones: /etc/rstudio/secure-cookie-key (remove them)");
    expect(failed["storage /opt/rstudio"]).toContain("shared storage not mounted");
  });

  it("without a site config, doctor fails and says how to give one", async () => {
    const c = await cluster(pg.password);
    await fs.rm(path.join(c.login, "etc/pwb-agent/site.yaml")); // the copy apply keeps for later boots
    const r = cli(["--root", c.login, "--no-imds", "doctor"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^site +FAIL +no site config \(\/etc\/pwb-agent\/site\.yaml\): pass --site FILE$/m);
  });
});

describe("HTTP checks (health-check, launcher)", () => {
  it("health-check wants a 2xx; the launcher only an HTTP answer", async () => {
    const server = http.createServer((req, res) => {
      if (req.url === "/health-check") res.end("active-sessions: 0\nlicense-status: Activated\n");
      else {
        res.statusCode = 401;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await checkHttp(`${base}/health-check`, true)).toEqual({ status: "ok", detail: `${base}/health-check: HTTP 200 (active-sessions: 0)` });
      expect((await checkHttp(`${base}/`, true)).status).toBe("fail");
      expect((await checkHttp(`${base}/`, false)).status).toBe("ok");
    } finally {
      await new Promise((r) => server.close(r));
    }
    // A port nothing listens on.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    expect(await checkHttp(`http://127.0.0.1:${closed}/`, false)).toEqual({ status: "fail", detail: `http://127.0.0.1:${closed}/: ECONNREFUSED` });
  });
});
