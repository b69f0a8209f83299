import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, type CliResult } from "../helpers/cli.js";
import { simCluster, simSiteYaml } from "../helpers/workbench.js";

/*
 * Every line the agent prints over a whole Workbench flow (head and login, plan/apply/doctor, human
 * and --json, debug logging, a rotated password and a rejected one) goes through a scanner, and so
 * does every metric and log line it leaves on the nodes (textfiles, run log, apply record): the
 * database passwords, the cookie key and both halves of the launcher key pair never appear.
 */

const PASSWORD = "Sup3r-S3cret-DB-Pa55word";
const ROTATED = "R0tated-S3cret-Pa55word-2";

/** Every secret, and each line of each key's body: a partial leak counts too. */
function secretsOf(texts: string[]): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    out.add(t.trim());
    for (const line of t.split("\n")) if (line.length >= 16 && !line.startsWith("-----")) out.add(line.trim());
  }
  return [...out];
}

describe("secrets never reach any output", () => {
  it("a full head + login flow at debug level, human and JSON", async () => {
    const c = await simCluster(simSiteYaml(), PASSWORD);
    const outputs: Array<{ args: string[]; r: CliResult }> = [];
    const run = (dir: string, ...args: string[]) => {
      const argv = ["--root", dir, "--no-imds", "--site", c.siteFile, ...args];
      const r = cli(argv);
      outputs.push({ args: argv, r });
      return r;
    };

    expect(run(c.head, "-v", "plan").code).toBe(10);
    expect(run(c.head, "--json", "plan").code).toBe(10);
    expect(run(c.head, "-v", "apply").code).toBe(0);
    expect(run(c.head, "-v", "--json", "apply").code).toBe(0);
    expect(run(c.head, "plan").code).toBe(0);
    expect(run(c.login, "-v", "plan").code).toBe(10);
    expect(run(c.login, "-v", "apply").code).toBe(0);
    expect(run(c.login, "--json", "-v", "doctor").code).toBe(1); // no database listening: fails, says so
    expect(run(c.login, "doctor").code).toBe(1);
    expect(run(c.head, "-v", "doctor").code).toBe(1);

    // Rotate the password: plan shows that database.conf changes, not how.
    await fs.writeFile(path.join(c.head, "etc/pwb-agent/database-password"), ROTATED + "\n", { mode: 0o600 });
    const rotated = run(c.head, "-v", "plan");
    expect(rotated.code).toBe(10);
    expect(rotated.stdout).toContain("~ file /opt/rstudio/etc/rstudio/database.conf  (update)\n    content changed (<redacted>)\n    <redacted>");
    const rotatedJson = JSON.parse(run(c.head, "--json", "plan").stdout) as { changes: Array<{ id: string; diff?: string }> };
    expect(rotatedJson.changes.find((ch) => ch.id === "file:/opt/rstudio/etc/rstudio/database.conf")?.diff).toBe("<redacted>");
    expect(run(c.head, "-v", "apply").code).toBe(0);
    expect(run(c.login, "-v", "--json", "apply").code).toBe(0);

    // A malformed secret is refused with a message about it, not with it.
    await fs.writeFile(path.join(c.head, "etc/pwb-agent/database-password"), `${PASSWORD}\nsecond line\n`, { mode: 0o600 });
    const refused = run(c.head, "-v", "apply");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("database.password.file (/etc/pwb-agent/database-password): the secret spans lines");

    const cfg = path.join(c.shared, "opt-rstudio/etc/rstudio");
    const keys = await Promise.all(["secure-cookie-key", "launcher.pem", "launcher.pub"].map((k) => fs.readFile(path.join(cfg, k), "utf8")));
    const secrets = secretsOf([PASSWORD, ROTATED, ...keys]);
    expect(secrets.length).toBeGreaterThan(20);

    // What the runs leave on the nodes for machines to read: metrics textfiles, the run log, the apply record.
    const records: Array<{ file: string; text: string }> = [];
    for (const node of [c.head, c.login]) {
      for (const dir of ["var/lib/node_exporter/textfile_collector", "var/lib/prometheus/node-exporter", "var/log/pwb-agent", "var/lib/pwb-agent"]) {
        for (const name of await fs.readdir(path.join(node, dir)).catch(() => [] as string[])) {
          const file = path.join(node, dir, name);
          if ((await fs.stat(file)).isFile()) records.push({ file, text: await fs.readFile(file, "utf8") });
        }
      }
    }
    expect(records.map((r) => path.basename(r.file))).toEqual(expect.arrayContaining(["pwb_agent.prom", "pwb_agent_doctor.prom", "runs.jsonl", "last-apply.json"]));

    const leaks: string[] = [];
    for (const { file, text } of records) for (const s of secrets) if (text.includes(s)) leaks.push(`${file}: ${s.slice(0, 6)}…`);
    for (const { args, r } of outputs) {
      for (const [stream, text] of [["stdout", r.stdout], ["stderr", r.stderr]] as const) {
        for (const s of secrets) if (text.includes(s)) leaks.push(`${stream} of ${args.slice(4).join(" ")}: ${s.slice(0, 6)}…`);
      }
    }
    expect(leaks).toEqual([]);
    const total = outputs.reduce((n, { r }) => n + r.stdout.length + r.stderr.length, 0);
    expect(total).toBeGreaterThan(20_000); // the scan saw real output, debug lines included
  });

  // A planted channel: the password also sits in a field the agent prints (an administrator pasted it
  // into the database host). Only the scrubbing of registered values keeps it out of the doctor's
  // table and JSON, the debug lines and what the runs leave on the node; with it off, this fails.
  it("a planted secret in a printed field is scrubbed from every output", async () => {
    const c = await simCluster(simSiteYaml().replace("host: 127.0.0.1", `host: ${PASSWORD}.db.internal`), PASSWORD);
    const texts: Array<[string, string]> = [];
    const run = (dir: string, ...args: string[]) => {
      const r = cli(["--root", dir, "--no-imds", "--site", c.siteFile, ...args]);
      texts.push([`stdout of ${args.join(" ")}`, r.stdout], [`stderr of ${args.join(" ")}`, r.stderr]);
      return r;
    };
    expect(run(c.head, "-v", "plan").code).toBe(10);
    expect(run(c.head, "--json", "plan").code).toBe(10);
    expect(run(c.head, "-v", "--json", "apply").code).toBe(0);
    expect(run(c.head, "-v", "doctor").code).toBe(1);
    expect(run(c.head, "--json", "-v", "doctor").code).toBe(1);
    expect(run(c.login, "-v", "apply").code).toBe(0);
    for (const node of [c.head, c.login]) {
      for (const dir of ["var/lib/node_exporter/textfile_collector", "var/log/pwb-agent", "var/lib/pwb-agent"]) {
        for (const name of await fs.readdir(path.join(node, dir)).catch(() => [] as string[])) {
          const file = path.join(node, dir, name);
          if ((await fs.stat(file)).isFile()) texts.push([file, await fs.readFile(file, "utf8")]);
        }
      }
    }
    // The channel is real: the host is printed, redacted.
    expect(texts.filter(([, t]) => t.includes("<redacted>.db.internal")).length).toBeGreaterThan(0);
    expect(texts.filter(([, t]) => t.includes(PASSWORD)).map(([where]) => where)).toEqual([]);
  });
});

