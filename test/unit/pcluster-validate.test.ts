// `cluster-config validate`: ParallelCluster's own rules for the sections this architecture uses,
// and the architecture's. The fixtures in test/fixtures/cluster-configs each break one rule and say
// in their header which rule must fire and at which line:column.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pclusterVersionOption } from "../../agent/pcluster/options.js";
import { loginNodesFor } from "../../agent/pcluster/sizing.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { parsePclusterVersion, pclusterOses } from "../../agent/pcluster/versions.js";

const DIR = path.resolve("test/fixtures/cluster-configs");
const VALID = readFileSync(path.join(DIR, "valid.yaml"), "utf8");
const v = (s: string) => parsePclusterVersion(s)!;
const NEWEST = v("3.16");

const errorsOf = (text: string, version = NEWEST, extra: { clusterName?: string; sessions?: number } = {}) =>
  validateClusterConfig(text, { version, ...extra }).issues.filter((i) => i.severity === "error");
const warningsOf = (text: string, version = NEWEST, extra: { clusterName?: string; sessions?: number } = {}) =>
  validateClusterConfig(text, { version, ...extra }).issues.filter((i) => i.severity === "warning");

interface Fixture {
  file: string;
  text: string;
  rule: string;
  line: number;
  column: number;
  version: string;
}

const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.startsWith("broken-"))
  .sort()
  .map((file) => {
    const text = readFileSync(path.join(DIR, file), "utf8");
    const m = /^# expect: (\S+) (\d+):(\d+)$/m.exec(text);
    if (!m) throw new Error(`${file}: no "# expect: <rule> <line>:<column>" header`);
    return { file, text, rule: m[1]!, line: Number(m[2]), column: Number(m[3]), version: /--pcluster-version (\S+)/.exec(text)?.[1] ?? "3.16" };
  });

describe("cluster-config validate: fixtures", () => {
  it("the valid base passes with no error and no warning, for 3.11 and for the newest version", () => {
    for (const version of ["3.11", "3.16"]) {
      expect(validateClusterConfig(VALID, { version: v(version) }).issues).toEqual([]);
    }
  });

  it("there are at least 20 broken fixtures, each for a different mistake", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
    expect(new Set(fixtures.map((f) => f.text.split("\n")[0])).size).toBe(fixtures.length);
    // They cover the rule families the issue names.
    const rules = new Set(fixtures.map((f) => f.rule));
    for (const r of ["name", "duplicate", "min-max-count", "range", "mount-dir-reserved", "database-uri", "security-groups", "iam-exclusive", "tag-duplicate", "version", "pwb-home-fsx", "pwb-workbench-shared", "pwb-login-pool", "pwb-login-count", "pwb-hook"]) {
      expect(rules, r).toContain(r);
    }
  });

  it.each(fixtures.map((f) => [f.file, f] as const))("%s fails with exactly its rule at its line:column", (_name, f) => {
    const errors = errorsOf(f.text, v(f.version));
    expect(errors.map((e) => `${e.rule} ${e.line}:${e.column}`)).toEqual([`${f.rule} ${f.line}:${f.column}`]);
    // The position is on the offending text, not on a blank or a comment.
    const lineText = f.text.split("\n")[f.line - 1]!;
    expect(lineText.slice(f.column - 1).trim(), f.file).not.toBe("");
    expect(lineText.trimStart().startsWith("#"), f.file).toBe(false);
  });
});

describe("cluster-config validate: rules", () => {
  it("checks the cluster name given on the command line: 40 characters with Slurm accounting", () => {
    expect(errorsOf(VALID, NEWEST, { clusterName: "a".repeat(40) })).toEqual([]);
    expect(errorsOf(VALID, NEWEST, { clusterName: "a".repeat(41) }).map((e) => e.rule)).toEqual(["cluster-name"]);
    expect(errorsOf(VALID, NEWEST, { clusterName: "1pwb" }).map((e) => e.rule)).toEqual(["cluster-name"]);
    const noDb = VALID.replace(/    Database:\n(      .*\n)+/, "");
    expect(errorsOf(noDb, NEWEST, { clusterName: "a".repeat(41) })).toEqual([]);
  });

  it("enforces 50 queues and 50 compute resources per cluster", () => {
    const queue = (i: number) =>
      `    - Name: q${i}\n      Networking:\n        SubnetIds: [subnet-0aaaaaaaaaaaaaaa1]\n      ComputeResources:\n        - Name: cr\n          InstanceType: m6i.large\n      CustomActions:\n        OnNodeConfigured:\n          Script: s3://b/pwb-agent-hook.sh\n`;
    const many = (n: number) => VALID.replace(/  SlurmQueues:\n[\s\S]*?(?=SharedStorage:)/, `  SlurmQueues:\n${Array.from({ length: n }, (_, i) => queue(i)).join("")}`);
    expect(errorsOf(many(50))).toEqual([]);
    expect(errorsOf(many(51)).map((e) => e.rule)).toEqual(["queue-count", "compute-resource-count"]);
  });

  it("reports YAML syntax errors with their position and stops there", () => {
    const broken = VALID.replace("  Os: rocky9\n", "  Os: [rocky9\n");
    const errors = errorsOf(broken);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.rule === "yaml")).toBe(true);
    expect(errors[0]!.line).toBeGreaterThanOrEqual(5);
  });

  it("an unknown key is an error, as it is for ParallelCluster, and names the key meant", () => {
    const typo = VALID.replace("          MinCount: 0\n", "          MinCont: 0\n");
    const [e, ...more] = errorsOf(typo);
    expect(more).toEqual([]);
    expect(e).toMatchObject({ rule: "unknown-key", path: "Scheduling.SlurmQueues[0].ComputeResources[0].MinCont" });
    expect(e!.message).toContain("did you mean MinCount?");
    // For releases after the schema read, the message says how far the key table goes.
    expect(e!.message).toContain("keys are known up to ParallelCluster 3.12.0");
    expect(errorsOf(typo, v("3.11"))[0]!.message).not.toContain("known up to");
  });

  it("follows YAML aliases", () => {
    const aliased = VALID.replace("      Script: s3://pwb-artifacts/cluster/pwb-agent-hook.sh\n      Args", "      Script: &hook s3://pwb-artifacts/cluster/pwb-agent-hook.sh\n      Args").replace(
      "        OnNodeConfigured:\n          Script: s3://pwb-artifacts/cluster/pwb-agent-hook.sh\n      Iam:",
      "        OnNodeConfigured:\n          Script: *hook\n      Iam:",
    );
    expect(aliased).toContain("*hook");
    expect(errorsOf(aliased)).toEqual([]);
  });

  it("before 3.11: login pools get no hook (a warning), a second pool is an error, OS lists follow the release", () => {
    const noLoginActions = VALID.replace(/      CustomActions:\n        OnNodeConfigured:\n          Sequence:\n.*\n.*\n/, "");
    expect(errorsOf(noLoginActions, v("3.10"))).toEqual([]);
    expect(warningsOf(noLoginActions, v("3.10")).map((w) => w.rule)).toEqual(["pwb-hook"]);
    // From 3.11 the same file is missing the login hook: an error.
    expect(errorsOf(noLoginActions, v("3.11")).map((e) => e.rule)).toEqual(["pwb-hook"]);
    expect(pclusterOses(v("3.8"))).not.toContain("rocky9");
    expect(errorsOf(VALID.replace("Os: rocky9", "Os: rhel8"), v("3.8")).map((e) => e.rule)).toEqual(["version"]);
    expect(pclusterOses(v("3.13"))).toContain("ubuntu2404");
    expect(pclusterOses(v("3.14"))).not.toContain("ubuntu2004");
  });

  it("--pcluster-version: 3.8 or newer, 3.x only", () => {
    expect(pclusterVersionOption("3.8")).toEqual({ major: 3, minor: 8, patch: 0 });
    expect(pclusterVersionOption("3.11.1")).toEqual({ major: 3, minor: 11, patch: 1 });
    expect(() => pclusterVersionOption("3.7.2")).toThrow(/3\.8\.0 or newer/);
    expect(() => pclusterVersionOption("4.0")).toThrow(/not supported/);
    expect(() => pclusterVersionOption("latest")).toThrow(/expected a ParallelCluster version/);
  });

  describe("login sizing (Posit: 500 → 2, 1000 → 4, 2000+ → 6)", () => {
    it("the table, rounding up between tested points", () => {
      expect([1, 500, 501, 1000, 1001, 2000, 5000].map(loginNodesFor)).toEqual([2, 2, 4, 4, 6, 6, 6]);
    });

    it("warns when the pool is below the table for --sessions, or for the sessions tag", () => {
      expect(warningsOf(VALID, NEWEST, { sessions: 400 })).toEqual([]);
      const [w] = warningsOf(VALID, NEWEST, { sessions: 900 });
      expect(w).toMatchObject({ rule: "pwb-login-sizing", line: 27, column: 14 });
      expect(w!.message).toContain("Posit's tested sizing is 4");
      const tagged = VALID.replace("    Value: workbench\n", "    Value: workbench\n  - Key: pwb-agent:concurrent-sessions\n    Value: \"2500\"\n");
      expect(warningsOf(tagged).map((x) => x.message)).toEqual([expect.stringContaining("2 login nodes for 2500 concurrent sessions")]);
      // Warnings never fail the check.
      expect(errorsOf(tagged)).toEqual([]);
    });

    it("one small pool next to a Workbench-sized one is a warning, not an error", () => {
      const twoPools = VALID.replace("Scheduling:\n", "    - Name: ssh\n      InstanceType: t3.large\n      Count: 1\n      Networking:\n        SubnetIds: [subnet-0aaaaaaaaaaaaaaa1]\n      CustomActions:\n        OnNodeConfigured:\n          Script: s3://b/pwb-agent-hook.sh\nScheduling:\n");
      expect(errorsOf(twoPools)).toEqual([]);
      expect(warningsOf(twoPools).map((w) => w.rule)).toEqual(["pwb-login-count"]);
    });
  });

  it("a non-mapping document is one error at 1:1", () => {
    expect(errorsOf("- just\n- a list\n").map((e) => `${e.rule} ${e.line}:${e.column}`)).toEqual(["type 1:1"]);
  });
});
