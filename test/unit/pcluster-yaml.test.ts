// The file as ParallelCluster's loader reads it: PyYAML's YAML 1.1 scalars, marshmallow's booleans and
// integers, one document, no duplicate or merge keys, UTF-8 within a size limit; and which release a
// file is checked for when no --pcluster-version is given.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { MAX_CLUSTER_FILE_BYTES, validateClusterFile, versionFromHeader } from "../../agent/pcluster/validate-file.js";
import { formatVersion, parsePclusterVersion } from "../../agent/pcluster/versions.js";
import { YView } from "../../agent/pcluster/yaml-view.js";

const DIR = path.resolve("test/fixtures/cluster-configs");
const VALID = readFileSync(path.join(DIR, "valid.yaml"), "utf8");
const NEWEST = parsePclusterVersion("3.16")!;
const errorsOf = (text: string) => validateClusterConfig(text, { version: NEWEST }).issues.filter((i) => i.severity === "error");
const bytes = (s: string) => new TextEncoder().encode(s);

/** The plain scalar, the type PyYAML's SafeLoader gives it, and the value (Python's, in JavaScript). */
const PYYAML: Array<[string, "str" | "int" | "float" | "bool" | "null" | "date", unknown]> = [
  ["1e3", "str", "1e3"], // a float needs a dot
  ["1.0e3", "str", "1.0e3"], // and a signed exponent
  ["1.0e+3", "float", 1000],
  ["1.", "float", 1],
  [".5", "float", 0.5],
  ["-.5", "str", "-.5"], // no sign before a bare dot
  ["08", "str", "08"], // not octal, not decimal
  ["017", "int", 15],
  ["0o17", "str", "0o17"], // YAML 1.2 octal only
  ["0x1F", "int", 31],
  ["0b101", "int", 5],
  ["1_000", "int", 1000],
  ["+12", "int", 12],
  ["1:30", "int", 90], // base 60
  ["1:30:00", "int", 5400],
  ["0:30", "str", "0:30"],
  ["1:30.5", "float", 90.5],
  [".inf", "float", Infinity],
  ["-.inf", "float", -Infinity],
  ["yes", "bool", true],
  ["Off", "bool", false],
  ["y", "str", "y"], // PyYAML has no y/n booleans
  ["n", "str", "n"],
  ["tRUE", "str", "tRUE"],
  ["~", "null", null],
  ["Null", "null", null],
  ["2024-01-01", "date", "2024-01-01"],
  ["2024-1-1", "str", "2024-1-1"], // a date has two-digit month and day
  ["2024-01-01 10:00:00", "date", "2024-01-01"],
];

function typeOf(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (v instanceof Date) return "date";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) && Number.isFinite(v) ? "int" : "float";
  return "str";
}

describe("YAML as PyYAML reads it", () => {
  it.each(PYYAML)("%s is PyYAML's %s", (plain, type, value) => {
    const view = YView.parse(`k: ${plain}\n`, { version: "1.1" }).root.get("k");
    // 1.0e+3 is a float that happens to be whole: compare values, and the type where JS can tell.
    if (type !== "float" || !Number.isInteger(value)) expect(typeOf(view.value)).toBe(type);
    if (type === "date") expect((view.value as Date).toISOString().slice(0, 10)).toBe(value);
    else if (type === "null") expect(view.exists).toBe(false);
    else expect(view.value).toBe(value);
  });

  it("a string field takes what PyYAML reads as a string (1e3, 08, y) and refuses what it does not (1.0e+3, yes, a date)", () => {
    const tag = (v: string) => VALID.replace("    Value: workbench", `    Value: ${v}`);
    for (const ok of ["1e3", "08", "0o17", "y", "-.5", "2024-1-1"]) expect(errorsOf(tag(ok)), ok).toEqual([]);
    for (const bad of ["1.0e+3", "yes", "017", "1:30", "2024-01-01"]) expect(errorsOf(tag(bad)).map((e) => e.rule), bad).toEqual(["type"]);
  });

  it("a boolean field reads alike in every rule: a quoted \"true\" is true for the type check and for the rule that needs it", () => {
    const efs = (tls: string) => VALID.replace("      EncryptionInTransit: true\n", `      EncryptionInTransit: ${tls}\n      IamAuthorization: true\n`);
    for (const t of ['"true"', "yes", "On", '"T"', "1"]) expect(errorsOf(efs(t)), t).toEqual([]);
    expect(errorsOf(efs('"no"')).map((e) => e.rule)).toEqual(["efs-mount-options"]);
    // marshmallow's words are case-exact: tRUE is neither true nor false.
    expect(errorsOf(efs('"tRUE"')).map((e) => e.rule)).toContain("type");
  });

  it("integers as marshmallow reads them: \"08\" and \"1_000\" are numbers, 8.5 is refused by pwb-integer (ParallelCluster would use 8)", () => {
    const max = (v: string) => VALID.replace("          MaxCount: 50", `          MaxCount: ${v}`);
    for (const ok of ['"08"', '"1_000"', "8.0", '" 12 "']) expect(errorsOf(max(ok)), ok).toEqual([]);
    const frac = errorsOf(max("8.5"));
    expect(frac.map((e) => e.rule)).toEqual(["pwb-integer"]);
    expect(frac[0]!.message).toContain("would silently use 8");
    expect(errorsOf(max('"8.5"')).map((e) => e.rule)).toEqual(["type"]);
    expect(errorsOf(max("true")).map((e) => e.rule)).toEqual(["type"]);
  });

  it("a key twice names the key and its first line", () => {
    const errors = errorsOf(VALID.replace("  Os: rocky9\n", "  Os: rocky9\n  Os: rocky8\n"));
    expect(errors.map((e) => `${e.rule} ${e.line}:${e.column}`)).toEqual(["yaml 7:3"]);
    expect(errors[0]!.message).toBe('key "Os" is written twice in this mapping (first at line 6); ParallelCluster refuses duplicate keys');
  });

  it("a second document is refused in our words, not the parser library's", () => {
    const errors = errorsOf(`${VALID}---\nRegion: eu-west-2\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.rule).toBe("yaml");
    expect(errors[0]!.message).toMatch(/^a second YAML document starts here: a cluster configuration is one document/);
    expect(errors[0]!.message).not.toMatch(/parseAllDocuments/);
  });

  it("a merge key is refused as ParallelCluster's loader refuses it, and named <<", () => {
    const text = VALID.replace("HeadNode:\n  InstanceType: m6i.xlarge\n", "HeadNode:\n  <<: {InstanceType: m6i.xlarge}\n");
    const errors = errorsOf(text);
    expect(errors.map((e) => `${e.rule} ${e.line}:${e.column}`)).toEqual(["yaml 9:3"]);
    expect(errors[0]!.message).toContain("merge key (<<)");
    expect(JSON.stringify(errors)).not.toContain("Symbol");
    // A plain '=' is the other YAML 1.1 key PyYAML resolves and cannot construct.
    expect(errorsOf(VALID.replace("    Value: workbench", "    Value: =")).map((e) => e.rule)).toEqual(["yaml"]);
    expect(errorsOf(VALID.replace("    Value: workbench", '    Value: "="'))).toEqual([]);
  });
});

describe("the file's bytes", () => {
  it("refuses a file over 1 MiB with a rule and the byte offset", () => {
    const big = `${VALID}${"# padding\n".repeat(MAX_CLUSTER_FILE_BYTES / 10)}`;
    const r = validateClusterFile(bytes(big), {});
    expect(r.issues.map((i) => [i.rule, i.offset])).toEqual([["pwb-file-size", MAX_CLUSTER_FILE_BYTES]]);
    expect(r.issues[0]!.line).toBeGreaterThan(1);
    expect(validateClusterFile(bytes(VALID), {}).issues).toEqual([]);
  });

  it("reports bytes that are not UTF-8 and control characters at their byte offset", () => {
    const at = VALID.indexOf("workbench");
    const latin1 = new Uint8Array([...bytes(VALID.slice(0, at)), 0xe9, ...bytes(VALID.slice(at))]);
    const r = validateClusterFile(latin1, {});
    expect(r.issues.map((i) => [i.rule, i.offset, i.line])).toEqual([["encoding", at, VALID.slice(0, at).split("\n").length]]);
    expect(r.errors).toBe(1);
    // A lead byte whose character is cut short: the offset is where that character starts.
    const cut = new Uint8Array([...bytes(VALID.slice(0, at)), 0xe2, 0x82, ...bytes(VALID.slice(at))]);
    expect(validateClusterFile(cut, {}).issues[0]!.offset).toBe(at);
    const control = validateClusterFile(bytes(VALID.replace("workbench", "work\u0007bench")), {});
    expect(control.issues.map((i) => [i.rule, i.offset])).toEqual([["encoding", at + 4]]);
    expect(control.issues[0]!.message).toContain("U+0007");
  });
});

describe("the release a file is checked for", () => {
  const generated310 = readFileSync(path.join(DIR, "generated-before-3-11-one-subnet.yaml"), "utf8");

  it("reads render's header; --pcluster-version wins over it; without either, the newest release", () => {
    expect(formatVersion(versionFromHeader(generated310)!)).toBe("3.10.0");
    expect(versionFromHeader("# pcluster-version: 3.13\nRegion: x\n")).toEqual(parsePclusterVersion("3.13"));
    expect(versionFromHeader("Region: x\n# AWS ParallelCluster 3.10.0 cluster configuration\n")).toBeUndefined();
    expect(versionFromHeader("# AWS ParallelCluster 2.11.0 cluster configuration\n")).toBeUndefined();

    const fromHeader = validateClusterFile(bytes(generated310), {});
    expect([formatVersion(fromHeader.version), fromHeader.versionSource]).toEqual(["3.10.0", "the file's header"]);
    expect(fromHeader.errors).toBe(0);
    const forced = validateClusterFile(bytes(generated310), { version: NEWEST });
    expect(forced.versionSource).toBe("--pcluster-version");
    expect(forced.issues.filter((i) => i.severity === "error").map((i) => i.rule)).toContain("pwb-hook");
    expect(validateClusterFile(bytes(VALID), {}).versionSource).toBe("the newest release known");
  });

  it("every rendered file validates for the release its header names (3.8 to 3.16)", () => {
    for (const f of ["generated-oldest-one-subnet.yaml", "generated-before-3-11-three-subnets.yaml", "generated-alinux2023-one-subnet.yaml", "generated-example-one-subnet.yaml"]) {
      const r = validateClusterFile(bytes(readFileSync(path.join(DIR, f), "utf8")), {});
      expect(r.versionSource, f).toBe("the file's header");
      expect(r.issues.filter((i) => i.severity === "error"), f).toEqual([]);
    }
  });
});

describe("messages", () => {
  it("DirectoryService without three required fields reports all three", () => {
    const text = VALID.replace(/DirectoryService:\n(?: {2}.*\n)+/, "DirectoryService:\n  DomainName: corp.example.com\n");
    expect(errorsOf(text).map((e) => `${e.rule} ${e.path}`)).toEqual(["required DirectoryService.DomainAddr", "required DirectoryService.DomainReadOnlyUser", "required DirectoryService.PasswordSecretArn"]);
  });

  it("/NONE is refused because ParallelCluster reserves NONE, not as a malformed path", () => {
    const errors = errorsOf(VALID.replace("    MountDir: /opt/rstudio\n", "    MountDir: /NONE\n"));
    const mount = errors.filter((e) => e.rule === "mount-dir");
    expect(mount).toHaveLength(1);
    expect(mount[0]!.message).toContain('reserves NONE to mean "no shared directory"');
    expect(mount[0]!.message).not.toContain("'.'-leading");
  });

  it("the cluster-wide compute-resource limit names the resource past it and the count", () => {
    const queue = (i: number, crs: number) =>
      `    - Name: q${i}\n      Networking:\n        SubnetIds: [subnet-0aaaaaaaaaaaaaaa1]\n      ComputeResources:\n${Array.from({ length: crs }, (_, j) => `        - Name: cr${j}\n          InstanceType: m6i.large\n`).join("")}      CustomActions:\n        OnNodeConfigured:\n          Script: s3://b/pwb-agent-hook.sh\n`;
    const text = VALID.replace(/ {2}SlurmQueues:\n[\s\S]*?(?=SharedStorage:)/, `  SlurmQueues:\n${queue(0, 30)}${queue(1, 30)}`);
    const errors = errorsOf(text).filter((e) => e.rule === "compute-resource-count");
    expect(errors.map((e) => e.path)).toEqual(["Scheduling.SlurmQueues[1].ComputeResources[20]"]);
    expect(errors[0]!.message).toContain("(there are 60)");
    expect(errors[0]!.message.startsWith("Scheduling.SlurmQueues[1].ComputeResources[20]: ")).toBe(true);
  });
});
