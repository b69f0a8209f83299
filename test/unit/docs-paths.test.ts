import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The README and the architecture notes name files and folders of this repository; a rename or a
// removal must take the prose with it, or the docs send readers to something that is not there.

const DOCS = ["README.md", "docs/ARCHITECTURE.md"];
const TOP = ["agent", "units", "ami", "cluster-config", "packaging", "test", "bench", "docs"];

const read = (doc: string) => readFileSync(doc, "utf8");

/** `a/{b,c}-d` → `a/b-d`, `a/c-d` (the shorthand the README uses for sibling files). */
function expandBraces(p: string): string[] {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1]!.split(",").flatMap((alt) => expandBraces(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}

/** Every repo-relative path a document names: `agent/…`, `units/…`, … up to a placeholder (`<name>`) or the end of the token. */
function namedPaths(text: string): string[] {
  const re = new RegExp(String.raw`(?<![\w./<>-])(?:${TOP.join("|")})/[\w./{},-]*`, "g");
  const found = [...text.matchAll(re)].map((m) => m[0].replace(/[.,]+$/, ""));
  return [...new Set(found.flatMap(expandBraces))];
}

/** The folder names of the README's Layout block that sit under `agent/` (indented lines). */
function layoutAgentFolders(readme: string): string[] {
  const block = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ## Layout code block");
  return block
    .split("\n")
    .filter((l) => /^ {2}\S/.test(l))
    .flatMap((l) => l.trim().split(/\s{2,}/)[0]!.split(/,\s*/))
    .map((name) => name.replace(/\/$/, ""));
}

const agentFolders = () => readdirSync("agent", { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe("paths named in the docs", () => {
  it("finds the kinds of paths it checks (the extraction itself works)", () => {
    expect(namedPaths("see `agent/nodefs/root.ts`, units/ and [x](cluster-config/iam/{head,login}-node.json).")).toEqual([
      "agent/nodefs/root.ts",
      "units/",
      "cluster-config/iam/head-node.json",
      "cluster-config/iam/login-node.json",
    ]);
    // Node paths and placeholders are not repository paths.
    expect(namedPaths("/usr/lib/systemd/system and /var/lib/pwb-agent/image.json, agent/components/<name>/")).toEqual(["agent/components/"]);
  });

  for (const doc of DOCS) {
    it(`${doc}: every repository path it names exists`, () => {
      const paths = namedPaths(read(doc));
      expect(paths.length).toBeGreaterThan(10);
      expect(paths.filter((p) => !existsSync(p))).toEqual([]);
    });
  }

  it("README.md's Layout names every folder of agent/, and each one it names exists", () => {
    const named = layoutAgentFolders(read("README.md"));
    expect(named.filter((n) => !existsSync(path.join("agent", n)))).toEqual([]);
    expect(agentFolders().filter((f) => !named.includes(f))).toEqual([]);
  });

  it("docs/ARCHITECTURE.md's folder table names every folder of agent/, and the files in each row exist there", () => {
    const rows = [...read("docs/ARCHITECTURE.md").matchAll(/^\| `agent\/([\w-]+)\/` \|(.*)\|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual(agentFolders());
    const missing = rows.flatMap(([, folder, text]) =>
      [...text!.matchAll(/`([\w./-]+\.ts|[\w-]+\/)`/g)].map((m) => path.join("agent", folder!, m[1]!)).filter((p) => !existsSync(p)),
    );
    expect(missing).toEqual([]);
  });
});
