// The rule catalog: every rule `cluster-config validate` applies has an id, the releases it applies
// to, its source (ParallelCluster's schema or validator, or why Workbench needs it) and a test; the
// table in cluster-config/README.md is this catalog (UPDATE_GOLDEN=1 rewrites it).
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../agent/pcluster/rule-catalog.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { parsePclusterVersion } from "../../agent/pcluster/versions.js";

const SOURCE_DIR = "agent/pcluster";
const FIXTURES = "test/fixtures/cluster-configs";
const README = "cluster-config/README.md";
const BEGIN = "<!-- rules:begin (generated from agent/pcluster/rule-catalog.ts by its test) -->";
const END = "<!-- rules:end -->";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Rule ids the validator's code reports: .error("id", …), .warn("id", …), global("error", "id", …), matches(…, "id"). */
function idsInCode(): Set<string> {
  const ids = new Set<string>();
  for (const file of sourceFiles(SOURCE_DIR)) {
    const text = readFileSync(file, "utf8");
    for (const re of [/\.(?:error|warn)\(\s*"([a-z0-9-]+)"/g, /\.global\(\s*"(?:error|warning)",\s*"([a-z0-9-]+)"/g, /matches\(ctx, [^,()]+, [^,()]+, "[^"]*", "([a-z0-9-]+)"\)/g]) {
      for (const m of text.matchAll(re)) ids.add(m[1]!);
    }
  }
  // check() and need() and intIn() and matches() report these by default.
  for (const id of ["type", "required", "range", "format"]) ids.add(id);
  return ids;
}

const escape = (s: string) => s.replace(/\|/g, "\\|");
const testCell = (t: string) => (t.endsWith(".yaml") ? `[${t}](../test/fixtures/cluster-configs/${t})` : `unit test “${t}”`);

function renderTable(): string {
  const rows = RULES.map((r) => `| \`${r.id}\` | ${r.since}+ | ${escape(r.checks)} | ${escape(r.source)} | ${testCell(r.test)} |`);
  return [BEGIN, "| rule | applies | checks | source | test |", "|---|---|---|---|---|", ...rows, END].join("\n");
}

describe("the rule catalog", () => {
  it("names every rule the code reports, and no rule the code does not", () => {
    const code = idsInCode();
    const catalog = new Set(RULES.map((r) => r.id));
    expect(catalog.size, "ids are unique").toBe(RULES.length);
    expect([...code].filter((id) => !catalog.has(id)).sort()).toEqual([]);
    expect([...catalog].filter((id) => !code.has(id)).sort()).toEqual([]);
  });

  it("every rule has a release, a source and a test that exists and exercises it", () => {
    const unitTests = readdirSync("test/unit")
      .filter((f) => f.startsWith("pcluster-"))
      .map((f) => readFileSync(path.join("test/unit", f), "utf8"))
      .join("\n");
    for (const r of RULES) {
      expect(parsePclusterVersion(r.since), r.id).not.toBeNull();
      expect(r.source.length, r.id).toBeGreaterThan(5);
      if (r.test.endsWith(".yaml")) {
        const file = path.join(FIXTURES, r.test);
        expect(existsSync(file), `${r.id}: ${file}`).toBe(true);
        const header = readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("# expect:") || l.startsWith("# warns:")).join("\n");
        expect(header, `${r.id}: ${r.test} must expect it`).toMatch(new RegExp(`[ ,]${r.id} \\d+:\\d+`));
      } else {
        expect(unitTests, `${r.id}: no unit test titled "${r.test}…"`).toContain(`it("${r.test}`);
        expect(unitTests, r.id).toContain(`"${r.id}"`);
      }
    }
  });

  it("cluster-config/README.md shows the catalog", () => {
    const readme = readFileSync(README, "utf8");
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start, `${README} has no ${BEGIN}`).toBeGreaterThanOrEqual(0);
    const current = readme.slice(start, end + END.length);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(README, readme.replace(current, renderTable()));
    else expect(current, `${README} differs: UPDATE_GOLDEN=1 npx vitest run test/unit/pcluster-rules.test.ts`).toBe(renderTable());
  });

  it("each issue carries its rule's release range; a rule outside its range does not apply", () => {
    const valid = readFileSync(path.join(FIXTURES, "valid.yaml"), "utf8");
    const withAccessPoint = valid.replace("      EncryptionInTransit: true\n", "      AccessPointId: fsap-0123456789abcdef0\n");
    const newest = validateClusterConfig(withAccessPoint, { version: parsePclusterVersion("3.16")! }).issues.filter((i) => i.severity === "error");
    expect(newest.map((i) => [i.rule, i.versions])).toEqual([["efs-access-point", "3.11.0+"]]);
    // Before 3.11 the key itself is unknown to ParallelCluster: that is the one error.
    const old = validateClusterConfig(withAccessPoint, { version: parsePclusterVersion("3.10")! }).issues.filter((i) => i.severity === "error");
    expect(old.map((i) => [i.rule, i.versions])).toEqual([
      ["version", "3.8.0+"],
      ["version", "3.8.0+"],
    ]);
  });
});
