// The architecture as a test: which part of agent/ may import which, no import cycle, and the two
// ways out of the process (the node's files, child processes) each through one place. Read from the
// syntax tree of every file under agent/ (type-only imports count: a cycle through types is still a
// cycle for whoever reads the code), and each rule proven on planted bad code.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The layers, top to bottom. A file may import a file of its own unit (folder, or top-level file)
 * and of any unit ranked lower; never one ranked higher or the same (peers stay apart).
 *
 * | rank | units                                         | what                                                      |
 * |------|-----------------------------------------------|-----------------------------------------------------------|
 * | 16   | cli.ts                                        | the entry                                                 |
 * | 15   | program.ts                                    | commands and exit codes                                   |
 * | 14   | commands/                                     | the CLI: flags, calls into node/, printing, exit codes    |
 * | 13   | simulation/                                   | simulated nodes driving node/ (demo, tests, benchmarks)   |
 * | 12   | node/                                         | the application: open, converge, bake, record, doctor run |
 * | 11   | bake/, fleet/, pcluster/                      | features beside the node's components                     |
 * | 10   | components/                                   | what each concern declares (pure) and checks              |
 * | 9    | alb/, secrets/                                | the ALB's AWS side; the password and keys                 |
 * | 8    | metrics/                                      | node_exporter textfiles, the run log                      |
 * | 7    | doctor/, state/                               | the check framework and probes; the last-apply record     |
 * | 6    | engine/                                       | resources, plan, apply, lock, runner                      |
 * | 5    | artifacts/                                    | catalog and verified downloads                            |
 * | 4    | site/                                         | the site file                                             |
 * | 3    | facts/                                        | the node's facts                                          |
 * | 2    | nodefs/                                       | the node's files through the --root seam                  |
 * | 1    | errors.ts, log.ts, version.ts, map-limit.ts,  | leaves every layer may use                                |
 * |      | did-you-mean.ts, decimal.ts, units.d.ts       |                                                           |
 */
const RANKS: Record<string, number> = {
  "cli.ts": 16,
  "program.ts": 15,
  "commands/": 14,
  "simulation/": 13,
  "node/": 12,
  "bake/": 11,
  "fleet/": 11,
  "pcluster/": 11,
  "components/": 10,
  "alb/": 9,
  "secrets/": 9,
  "metrics/": 8,
  "doctor/": 7,
  "state/": 7,
  "engine/": 6,
  "artifacts/": 5,
  "site/": 4,
  "facts/": 3,
  "nodefs/": 2,
  "errors.ts": 1,
  "log.ts": 1,
  "version.ts": 1,
  "map-limit.ts": 1,
  "did-you-mean.ts": 1,
  "decimal.ts": 1,
  "units.d.ts": 1,
};

/**
 * Files outside nodefs/ that import node:fs, each with why. Every node path should go through the
 * confined API of nodefs/; shrink this list as callers move there (the test fails on an entry that
 * no longer imports node:fs, so the list stays exact).
 */
const FS_EXCEPTIONS: Record<string, string> = {
  "artifacts/fetch.ts": "streams a download into a temporary file, hashes it and renames it into place",
  "engine/resources/packages-root.ts": "the simulated root's package databases (read, write, rename, temp dirs)",
  "log.ts": "writes log lines synchronously to fd 1 or 2 (no node path)",
  "node/open.ts": "checks that --root is a directory before opening it",
  "simulation/demo.ts": "makes, copies and removes the demo's own temporary directories (not a node's root)",
  "simulation/cluster.ts": "builds a simulated cluster's directories (test and demo fixtures)",
  "simulation/fixture-packages.ts": "builds fixture packages and repositories in temporary directories",
  "simulation/image.ts": "copies baked image roots for the boot simulation",
  "simulation/node.ts": "writes a simulated node's files",
  "simulation/signed-repo.ts": "writes signing keys and signed repository metadata",
};

/** Files other than engine/runner.ts that import node:child_process, each with why. */
const CHILD_PROCESS_EXCEPTIONS: Record<string, string> = {
  "simulation/fixture-packages.ts": "the demo's fixture maker: runs rpmbuild, dpkg-deb and createrepo_c at build time of the fixtures",
  "simulation/signed-repo.ts": "the demo's fixture maker: runs gpg to sign fixture repositories",
};

const FS_MODULES = /^(node:)?fs(\/promises)?$/;
const CHILD_PROCESS = /^(node:)?child_process$/;

/** Sources keyed by their path under agent/, with "/" separators. */
type Sources = ReadonlyMap<string, string>;

interface Import {
  file: string;
  line: number;
  spec: string;
  /** The imported file under agent/, for a relative import that names one. */
  target: string | null;
}

function importsOf(file: string, text: string, files: ReadonlySet<string>): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (n: ts.Node, spec: string) => {
    let target: string | null = null;
    if (spec.startsWith(".")) {
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, "");
      target = [`${base}.ts`, `${base}.d.ts`, `${base}/index.ts`].find((t) => files.has(t)) ?? null;
    }
    found.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, spec, target });
  };
  const visit = (n: ts.Node): void => {
    // import … from, export … from, import x = require(), import("…"), require("…"), import("…").T in a type.
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) add(n, n.moduleSpecifier.text);
    if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference) && ts.isStringLiteral(n.moduleReference.expression)) add(n, n.moduleReference.expression.text);
    if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === "require"))) {
      const [arg] = n.arguments;
      if (arg && ts.isStringLiteralLike(arg)) add(n, arg.text);
    }
    if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) add(n, n.argument.literal.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function allImports(sources: Sources): Import[] {
  const files = new Set(sources.keys());
  return [...sources].flatMap(([file, text]) => importsOf(file, text, files));
}

/** A file's unit: its top folder under agent/ ("engine/"), or itself when it sits at the top. */
const unitOf = (file: string) => (file.includes("/") ? `${file.split("/")[0]}/` : file);
const where = (i: Import) => `agent/${i.file}:${i.line} imports "${i.spec}"`;

/** Every import that goes up or sideways in the rank table, and every unit the table lacks. */
function rankViolations(sources: Sources, ranks: Record<string, number> = RANKS): string[] {
  const found: string[] = [];
  for (const unit of new Set([...sources.keys()].map(unitOf))) {
    if (ranks[unit] === undefined) found.push(`agent/${unit} has no rank in the layering table: add it where it belongs`);
  }
  for (const i of allImports(sources)) {
    if (!i.target) continue;
    const [from, to] = [unitOf(i.file), unitOf(i.target)];
    if (from === to || ranks[from] === undefined || ranks[to] === undefined) continue;
    if (ranks[to]! >= ranks[from]!) {
      found.push(`${where(i)}: ${from} (rank ${ranks[from]}) may import only lower ranks, and ${to} is rank ${ranks[to]}`);
    }
  }
  return found;
}

/** Strongly connected groups of more than one node (Tarjan), each sorted, as cycles to report. */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** Import cycles between files, and between units (folders and top-level files), types included. */
function cycleViolations(sources: Sources): string[] {
  const imports = allImports(sources).filter((i) => i.target && i.target !== i.file);
  const fileEdges = new Map<string, Set<string>>();
  const unitEdges = new Map<string, Set<string>>();
  for (const i of imports) {
    (fileEdges.get(i.file) ?? fileEdges.set(i.file, new Set()).get(i.file)!).add(i.target!);
    const [from, to] = [unitOf(i.file), unitOf(i.target!)];
    if (from !== to) (unitEdges.get(from) ?? unitEdges.set(from, new Set()).get(from)!).add(to);
  }
  // One cycle of each group, hop by hop, with an import that makes each hop: enough to see where to cut.
  const report = (kind: string, edges: Map<string, Set<string>>, key: (i: Import) => [string, string], name: (n: string) => string) =>
    cycles(edges).map((group) => {
      const hops = shortestCycle(group, edges);
      const why = hops.map(([a, b]) => where(imports.find((i) => key(i)[0] === a && key(i)[1] === b)!));
      return `import cycle between ${kind} ${[...hops.map(([a]) => a), hops[0]![0]].map(name).join(" → ")}: ${why.join("; ")}`;
    });
  return [...report("files", fileEdges, (i) => [i.file, i.target!], (f) => `agent/${f}`), ...report("folders", unitEdges, (i) => [unitOf(i.file), unitOf(i.target!)], (u) => `agent/${u}`)];
}

/** The shortest way from the group's first node back to itself, as hops (breadth first, inside the group). */
function shortestCycle(group: string[], edges: ReadonlyMap<string, ReadonlySet<string>>): Array<[string, string]> {
  const start = group[0]!;
  const came = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v) ?? [])].sort()) {
      if (!group.includes(w)) continue;
      if (w === start) {
        const hops: Array<[string, string]> = [[v, start]];
        for (let x = v; x !== start; x = came.get(x)!) hops.unshift([came.get(x)!, x]);
        return hops;
      }
      if (!came.has(w)) {
        came.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

/**
 * Imports of a module allowed only in `allowed` files (a folder ends in "/") and in the listed
 * exceptions; an exception that no longer imports it is reported too, so the list only shrinks.
 */
function confinedModuleViolations(sources: Sources, what: string, module: RegExp, allowed: readonly string[], exceptions: Record<string, string>): string[] {
  const isAllowed = (f: string) => allowed.some((a) => (a.endsWith("/") ? f.startsWith(a) : f === a));
  const users = allImports(sources).filter((i) => module.test(i.spec));
  const found = users.filter((i) => !isAllowed(i.file) && exceptions[i.file] === undefined).map((i) => `${where(i)}: ${what}`);
  const using = new Set(users.map((i) => i.file));
  for (const f of Object.keys(exceptions)) {
    if (!using.has(f)) found.push(`agent/${f} is listed as an exception for ${module.source} but no longer imports it: remove it from the list`);
  }
  return found;
}

const fsViolations = (sources: Sources, exceptions = FS_EXCEPTIONS) =>
  confinedModuleViolations(sources, "node:fs belongs to agent/nodefs/ (the node's files through the confined API)", FS_MODULES, ["nodefs/"], exceptions);

const childProcessViolations = (sources: Sources, exceptions = CHILD_PROCESS_EXCEPTIONS) =>
  confinedModuleViolations(sources, "child processes start only in agent/engine/runner.ts (the command runner)", CHILD_PROCESS, ["engine/runner.ts"], exceptions);

function agentSources(): Map<string, string> {
  const dir = path.resolve("agent");
  return new Map(
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(ts|mts|cts)$/.test(e.name))
      .map((e) => {
        const abs = path.join(e.parentPath, e.name);
        return [path.relative(dir, abs).split(path.sep).join("/"), readFileSync(abs, "utf8")] as const;
      }),
  );
}

const planted = (files: Record<string, string>) => new Map(Object.entries(files));

describe("layering of agent/", () => {
  const sources = agentSources();

  it("reads the real tree (the checks below would pass vacuously on nothing)", () => {
    expect(sources.size).toBeGreaterThan(100);
    expect(allImports(sources).filter((i) => i.target).length).toBeGreaterThan(500);
  });

  it("no unit imports one of its rank or above", () => {
    expect(rankViolations(sources)).toEqual([]);
  });

  it("no import cycle between files or between folders, types included", () => {
    expect(cycleViolations(sources)).toEqual([]);
  });

  it("node:fs only in agent/nodefs/ and the listed exceptions, each still needed", () => {
    expect(fsViolations(sources)).toEqual([]);
  });

  it("node:child_process only in agent/engine/runner.ts and the listed fixture makers, each still needed", () => {
    expect(childProcessViolations(sources)).toEqual([]);
  });
});

describe("the layering checker fails on planted violations", () => {
  it("an import up the table, one between peers, and a folder the table lacks", () => {
    const found = rankViolations(
      planted({
        "engine/plan.ts": `import { openNode } from "../node/open.js";`,
        "node/open.ts": `export const openNode = 1;`,
        "bake/image.ts": `import type { FleetTarget } from "../fleet/targets.js";`,
        "fleet/targets.ts": `export type FleetTarget = string;`,
        "widgets/thing.ts": `export const x = 1;`,
      }),
    );
    expect(found).toEqual([
      "agent/widgets/ has no rank in the layering table: add it where it belongs",
      `agent/engine/plan.ts:1 imports "../node/open.js": engine/ (rank 6) may import only lower ranks, and node/ is rank 12`,
      `agent/bake/image.ts:1 imports "../fleet/targets.js": bake/ (rank 11) may import only lower ranks, and fleet/ is rank 11`,
    ]);
  });

  it("finds an import however it is written: export from, dynamic import(), require(), import type in a type", () => {
    const up = (line: string) => rankViolations(planted({ "nodefs/root.ts": line, "engine/plan.ts": "export type Plan = 1;" }));
    for (const line of [`export { x } from "../engine/plan.js";`, `const m = await import("../engine/plan.js");`, `const m = require("../engine/plan.js");`, `let p: import("../engine/plan.js").Plan;`]) {
      expect(up(line), line).toHaveLength(1);
    }
  });

  it("a cycle between two files through types only, and one between folders with no file cycle", () => {
    expect(
      cycleViolations(
        planted({
          "components/types.ts": `import type { Row } from "./checks.js";\nexport type Check = 1;`,
          "components/checks.ts": `import type { Check } from "./types.js";\nexport type Row = 1;`,
        }),
      ),
    ).toEqual([`import cycle between files agent/components/checks.ts → agent/components/types.ts → agent/components/checks.ts: agent/components/checks.ts:1 imports "./types.js"; agent/components/types.ts:1 imports "./checks.js"`]);
    const folders = cycleViolations(
      planted({
        "doctor/a.ts": `import { b } from "../metrics/b.js";`,
        "metrics/b.ts": `export const b = 1;`,
        "metrics/c.ts": `import { d } from "../doctor/d.js";`,
        "doctor/d.ts": `export const d = 1;`,
      }),
    );
    expect(folders).toEqual([`import cycle between folders agent/doctor/ → agent/metrics/ → agent/doctor/: agent/doctor/a.ts:1 imports "../metrics/b.js"; agent/metrics/c.ts:1 imports "../doctor/d.js"`]);
  });

  it("node:fs outside nodefs/ in each of its spellings, and an exception no longer needed", () => {
    const found = fsViolations(
      planted({
        "nodefs/files.ts": `import { promises as fs } from "node:fs";`,
        "components/a.ts": `import { readFile } from "fs/promises";`,
        "components/b.ts": `import fs from "fs";`,
        "components/c.ts": `const fs = await import("node:fs/promises");`,
        "engine/lock.ts": `import { promises as fs } from "node:fs";`,
        "metrics/run-log.ts": `export const nothing = 1;`,
      }),
      { "engine/lock.ts": "its own files", "metrics/run-log.ts": "appends" },
    );
    expect(found).toEqual([
      `agent/components/a.ts:1 imports "fs/promises": node:fs belongs to agent/nodefs/ (the node's files through the confined API)`,
      `agent/components/b.ts:1 imports "fs": node:fs belongs to agent/nodefs/ (the node's files through the confined API)`,
      `agent/components/c.ts:1 imports "node:fs/promises": node:fs belongs to agent/nodefs/ (the node's files through the confined API)`,
      "agent/metrics/run-log.ts is listed as an exception for ^(node:)?fs(\\/promises)?$ but no longer imports it: remove it from the list",
    ]);
  });

  it("node:child_process outside the runner, and an exception no longer needed", () => {
    const found = childProcessViolations(
      planted({
        "engine/runner.ts": `import { spawn } from "node:child_process";`,
        "alb/self.ts": `import { execFile } from "child_process";`,
        "simulation/signed-repo.ts": `export const nothing = 1;`,
      }),
      { "simulation/signed-repo.ts": "runs gpg" },
    );
    expect(found).toEqual([
      `agent/alb/self.ts:1 imports "child_process": child processes start only in agent/engine/runner.ts (the command runner)`,
      "agent/simulation/signed-repo.ts is listed as an exception for ^(node:)?child_process$ but no longer imports it: remove it from the list",
    ]);
  });
});
