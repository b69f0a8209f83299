import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { parsePclusterVersion } from "../../agent/pcluster/versions.js";

/*
 * Every length and range limit of the cluster-config rules at its boundary: the limit passes, one
 * more fails with the rule's id. The limits are written out here (ParallelCluster's validators), so a
 * limit moved by one in the code fails a test.
 */

const BASE = readFileSync("test/fixtures/cluster-configs/broken-compute-resource-name-underscore.yaml", "utf8").replace("m6i_xlarge", "m6i-xlarge");
const VERSION = parsePclusterVersion("3.13")!;

function errorsOf(edit: (doc: ReturnType<typeof parseDocument>) => void, clusterName?: string): string[] {
  const doc = parseDocument(BASE);
  edit(doc);
  const r = validateClusterConfig(doc.toString(), { version: VERSION, ...(clusterName ? { clusterName } : {}) });
  return r.issues.filter((i) => i.severity === "error").map((i) => i.rule);
}
const name = (n: number) => "a" + "b".repeat(n - 1);

describe("cluster-config limits at their boundaries", () => {
  it("the base config is clean", () => {
    expect(errorsOf(() => undefined)).toEqual([]);
  });

  it.each([
    ["queue", ["Scheduling", "SlurmQueues", 0, "Name"]],
    ["compute resource", ["Scheduling", "SlurmQueues", 0, "ComputeResources", 0, "Name"]],
    ["login pool", ["LoginNodes", "Pools", 0, "Name"]],
  ] as const)("%s name: 25 characters pass, 26 fail", (_what, at) => {
    expect(errorsOf((d) => d.setIn(at, name(25)))).toEqual([]);
    expect(errorsOf((d) => d.setIn(at, name(26)))).toContain("name");
  });

  it("cluster name: 40 with Slurm accounting, 60 without", () => {
    expect(errorsOf(() => undefined, name(40))).toEqual([]);
    expect(errorsOf(() => undefined, name(41))).toContain("cluster-name");
    const noDb = (d: ReturnType<typeof parseDocument>) => d.deleteIn(["Scheduling", "SlurmSettings", "Database"]);
    expect(errorsOf(noDb, name(60))).toEqual([]);
    expect(errorsOf(noDb, name(61))).toContain("cluster-name");
  });

  it("database URI port: 1 and 65535 pass, 0 and 65536 fail", () => {
    const uri = (port: number) => (d: ReturnType<typeof parseDocument>) => d.setIn(["Scheduling", "SlurmSettings", "Database", "Uri"], `db.example.com:${port}`);
    expect(errorsOf(uri(1))).toEqual([]);
    expect(errorsOf(uri(65535))).toEqual([]);
    expect(errorsOf(uri(0))).toContain("database-uri");
    expect(errorsOf(uri(65536))).toContain("database-uri");
  });

  it("database name: 1 to 64 characters", () => {
    const db = (n: number) => (d: ReturnType<typeof parseDocument>) => d.setIn(["Scheduling", "SlurmSettings", "Database", "DatabaseName"], "d".repeat(n));
    expect(errorsOf(db(1))).toEqual([]);
    expect(errorsOf(db(64))).toEqual([]);
    expect(errorsOf(db(65)).length).toBeGreaterThan(0);
  });

  it("tags: a key of 128 characters passes, 129 fails; a value of 256 passes, 257 fails", () => {
    const tag = (k: number, v: number) => (d: ReturnType<typeof parseDocument>) => d.set("Tags", d.createNode([{ Key: "k".repeat(k), Value: "v".repeat(v) }]));
    expect(errorsOf(tag(128, 256))).toEqual([]);
    expect(errorsOf(tag(129, 1))).toEqual(["tag-length"]);
    expect(errorsOf(tag(1, 257))).toEqual(["tag-length"]);
  });
});
