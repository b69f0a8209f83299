// The `cluster-config` commands as an admin runs them: the built bundle in a separate process.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const scratch = mkdtempSync(path.join(os.tmpdir(), "pwb-cc-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("pwb-agent cluster-config", () => {
  it("validate: a valid file exits 0 with one summary line", () => {
    const r = cli(["cluster-config", "validate", "test/fixtures/cluster-configs/valid.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("test/fixtures/cluster-configs/valid.yaml: valid for ParallelCluster 3.16.0\n");
    expect(r.code).toBe(0);
  });

  it("validate: errors as file:line:column, exit 2; --json for machines", () => {
    const file = "test/fixtures/cluster-configs/broken-queue-name-uppercase.yaml";
    const r = cli(["cluster-config", "validate", file]);
    expect(r.code).toBe(2);
    expect(r.stdout.split("\n")[0]).toMatch(new RegExp(`^${file.replace(/\./g, "\\.")}:47:13: error: Scheduling\\.SlurmQueues\\[0\\]\\.Name: "Interactive" is not a valid queue name: .* \\[name\\]$`));
    expect(r.stdout).toContain("1 error, 0 warnings (ParallelCluster 3.16.0 rules)");
    const j = cli(["--json", "cluster-config", "validate", file]);
    expect(j.code).toBe(2);
    const out = JSON.parse(j.stdout) as { valid: boolean; errors: number; issues: Array<{ rule: string; versions: string; line: number; column: number; path: string }> };
    expect(out).toMatchObject({ valid: false, errors: 1, issues: [{ rule: "name", versions: "3.8.0+", line: 47, column: 13, path: "Scheduling.SlurmQueues[0].Name" }] });
  });

  it("validate: --pcluster-version below 3.8 and a missing file are bad input (exit 2)", () => {
    const old = cli(["cluster-config", "validate", "--pcluster-version", "3.7", "test/fixtures/cluster-configs/valid.yaml"]);
    expect(old.code).toBe(2);
    expect(old.stderr).toContain("3.8.0 or newer");
    const missing = cli(["cluster-config", "validate", path.join(scratch, "nope.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });

  it("validate: without --pcluster-version the file's header names the release; the option wins over it", () => {
    const file = "test/fixtures/cluster-configs/generated-before-3-11-one-subnet.yaml";
    const r = cli(["--json", "cluster-config", "validate", file]);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pclusterVersion: "3.10.0", pclusterVersionFrom: "the file's header", valid: true });
    const forced = cli(["--json", "cluster-config", "validate", "--pcluster-version", "3.16", file]);
    expect(forced.code).toBe(2);
    expect(JSON.parse(forced.stdout)).toMatchObject({ pclusterVersion: "3.16.0", pclusterVersionFrom: "--pcluster-version" });
  });

  it("validate: bytes that are not UTF-8 are an issue with a rule and a byte offset, on stdout like the others", () => {
    const file = path.join(scratch, "latin1.yaml");
    writeFileSync(file, Buffer.concat([Buffer.from("Region: eu-west-1\nImage:\n  Os: r"), Buffer.from([0xf6]), Buffer.from("cky9\n")]));
    const r = cli(["--json", "cluster-config", "validate", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).issues).toMatchObject([{ rule: "encoding", line: 3, column: 8, offset: 32 }]);
  });

  it("render --out writes the five files atomically, the hook executable, and they validate", () => {
    const out = path.join(scratch, "cluster");
    const r = cli(["--site", "cluster-config/site.example.yaml", "cluster-config", "render", "--input", "cluster-config/templates/cluster-input.example.yaml", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("4 login nodes for 800 concurrent sessions");
    expect(statSync(path.join(out, "pwb-agent-hook.sh")).mode & 0o777).toBe(0o755);
    expect(readdirSync(path.join(out, "iam")).sort()).toEqual(["pwb-agent-pwb-compute.json", "pwb-agent-pwb-head.json", "pwb-agent-pwb-login.json"]);
    expect(readFileSync(path.join(out, "cluster.yaml"), "utf8")).toBe(readFileSync("cluster-config/templates/cluster.example.yaml", "utf8"));
    const v = cli(["cluster-config", "validate", "--cluster-name", "pwb", path.join(out, "cluster.yaml")]);
    expect(v.code, v.stdout).toBe(0);
  });

  it("render without --site is bad input", () => {
    const r = cli(["cluster-config", "render", "--input", "cluster-config/templates/cluster-input.example.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs --site");
  });
});
