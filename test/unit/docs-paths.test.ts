import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSiteText } from "../../agent/site/load.js";
import { MINIMAL } from "../helpers/workbench.js";

// The README and the reference pages under docs/ name files and folders of this repository and link
// to each other; a rename, a removal or a retitled section must take the prose with it, or the docs
// send readers to something that is not there. The README stays short: everything else is a page
// under docs/ that the README links to.

const PAGES = readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`).sort();
const DOCS = ["README.md", ...PAGES, "cluster-config/README.md"];
const TOP = ["agent", "units", "ami", "cluster-config", "packaging", "test", "bench", "docs"];
const README_MAX_LINES = 300;

const read = (doc: string) => readFileSync(doc, "utf8");

/** The text outside fenced code blocks (a `# comment` in a shell example is no heading, `[x](y)` there no link). */
function prose(text: string): string {
  let inFence = false;
  return text
    .split("\n")
    .map((l) => {
      if (/^\s*```/.test(l)) {
        inFence = !inFence;
        return "";
      }
      return inFence ? "" : l;
    })
    .join("\n");
}

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

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings, numbered as GitHub numbers repeated ones (`x`, `x-1`, …). */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The relative links of a document: `[text](target)`, with its file and `#anchor` parts. */
function relativeLinks(text: string): Array<{ target: string; file: string; anchor: string | null }> {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t))
    .map((target) => {
      const [file, anchor] = target.split("#", 2) as [string, string | undefined];
      return { target, file, anchor: anchor ?? null };
    });
}

/** Why a link of `doc` does not resolve, or null: the file must exist, and the anchor be one of its headings. */
function brokenLink(doc: string, link: { target: string; file: string; anchor: string | null }): string | null {
  const file = link.file ? path.normalize(path.join(path.dirname(doc), link.file)) : doc;
  if (!existsSync(file)) return `${doc}: ${link.target}: no file ${file}`;
  if (link.anchor === null) return null;
  if (!file.endsWith(".md") || statSync(file).isDirectory()) return `${doc}: ${link.target}: an anchor into a file that is not markdown`;
  return anchorsOf(read(file)).has(link.anchor) ? null : `${doc}: ${link.target}: ${file} has no heading #${link.anchor}`;
}

/** The folder names of the README's Layout block (unindented lines: the repository's top level). */
function layoutFolders(readme: string): string[] {
  const block = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ## Layout code block");
  return block
    .split("\n")
    .filter((l) => /^\S/.test(l))
    .map((l) => l.split(/\s/)[0]!.replace(/\/$/, ""));
}

/** The top-level folders git tracks (what a build or a tool run leaves, git ignores: not the repository's). */
const trackedTopFolders = () =>
  [...new Set(execFileSync("git", ["ls-files"], { encoding: "utf8" }).split("\n").filter((f) => f.includes("/")).map((f) => f.split("/")[0]!))]
    .filter((name) => !name.startsWith("."))
    .sort();

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

  it("the docs name paths at all (README, ARCHITECTURE and the pages together)", () => {
    expect(namedPaths(read("README.md")).length).toBeGreaterThan(5);
    expect(namedPaths(read("docs/ARCHITECTURE.md")).length).toBeGreaterThan(10);
    expect(DOCS.flatMap((d) => namedPaths(read(d))).length).toBeGreaterThan(100);
  });

  for (const doc of DOCS) {
    it(`${doc}: every repository path it names exists`, () => {
      expect(namedPaths(read(doc)).filter((p) => !existsSync(p))).toEqual([]);
    });
  }

  it("README.md's Layout names every top-level folder of the repository, and each one it names exists", () => {
    const named = layoutFolders(read("README.md"));
    expect(named.filter((n) => !existsSync(n))).toEqual([]);
    expect(trackedTopFolders().filter((f) => !named.includes(f))).toEqual([]);
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

describe("links between the docs", () => {
  it("the checker itself: anchors as GitHub makes them, code blocks skipped, broken links found", () => {
    expect(slug("`alb-sync`, one tick")).toBe("alb-sync-one-tick");
    expect(slug("Workbench's own telemetry (site `telemetry:`)")).toBe("workbenchs-own-telemetry-site-telemetry");
    expect([...anchorsOf("# A\n```sh\n# not a heading\n```\n## A\n")]).toEqual(["a", "a-1"]);
    expect(relativeLinks("[a](x.md#y) [b](https://e.com)\n```\n[c](z.md)\n```").map((l) => l.target)).toEqual(["x.md#y"]);
    const rel = relativeLinks("[a](docs/alb.md#no-such-heading) [b](docs/nothing.md) [c](docs/alb.md#iam) [d](#exit-codes)");
    expect(rel.map((l) => brokenLink("README.md", l) !== null)).toEqual([true, true, false, false]);
  });

  for (const doc of DOCS) {
    it(`${doc}: every relative link reaches a file, and a heading of it where it names one`, () => {
      expect(relativeLinks(read(doc)).map((l) => brokenLink(doc, l)).filter((e) => e !== null)).toEqual([]);
    });
  }

  it("README.md links to every page under docs/", () => {
    const linked = new Set(relativeLinks(read("README.md")).map((l) => path.normalize(l.file)));
    expect(PAGES.filter((p) => !linked.has(p))).toEqual([]);
  });
});

describe("the README stays a five-minute read", () => {
  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    expect(read("README.md").split("\n").length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("keeps its two commands first: npm ci && npm run demo, and npm test", () => {
    const first = /^# pwb-agent\n\n```sh\n(.*)\n(.*)\n```/.exec(read("README.md"));
    expect(first?.[1]).toMatch(/^npm ci && npm run demo\s/);
    expect(first?.[2]).toMatch(/^npm test\s/);
  });
});

describe("examples in the docs", () => {
  it("docs/site.md's minimal site is the tests' minimal site, and loads", () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(read("docs/site.md"))?.[1];
    if (!block) throw new Error("docs/site.md has no yaml block");
    const withoutComments = block.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
    expect(withoutComments).toBe(MINIMAL);
    expect(() => parseSiteText(block, "docs/site.md")).not.toThrow();
  });
});
