#!/usr/bin/env node
// npm run mutation [-- MODULE...]: StrykerJS over each named module (default: every module not
// marked `later` in modules.mjs), one at a time, then one JSON line
// {"bench":"mutation","modules":{NAME:{score,killed,survived,...,survivors:[...]}}}.
// Incremental: each module keeps its results in test/mutation/incremental/NAME.json (committed), so
// a rerun tests only mutants whose code or covering tests changed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { MODULES } from "./modules.mjs";

const args = process.argv.slice(2);
const unknown = args.filter((a) => !(a in MODULES));
if (unknown.length) {
  console.error(`mutation: unknown module(s) ${unknown.join(", ")}; known: ${Object.keys(MODULES).join(", ")}`);
  process.exit(2);
}
const names = args.length ? args : Object.keys(MODULES).filter((n) => !MODULES[n].later);
mkdirSync("test/mutation/incremental", { recursive: true });
mkdirSync("reports/mutation", { recursive: true });

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);
const result = {};
let failed = false;
for (const name of names) {
  const m = MODULES[name];
  const report = `reports/mutation/${name}.json`;
  const argv = ["stryker", "run", "stryker.config.mjs"];
  console.error(`mutation: ${name}: ${m.mutate.join(" ")} against ${m.tests.join(" ")}`);
  const r = spawnSync("npx", argv, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, MUTATION_MODULE: name, MUTATION_TESTS: m.tests.join(",") } });
  if (r.status !== 0 || !existsSync(report)) {
    result[name] = { error: `stryker exited ${r.status}` };
    failed = true;
    continue;
  }
  const json = JSON.parse(readFileSync(report, "utf8"));
  const counts = {};
  const survivors = [];
  for (const [file, f] of Object.entries(json.files)) {
    for (const mu of f.mutants) {
      counts[mu.status] = (counts[mu.status] ?? 0) + 1;
      if (UNDETECTED.has(mu.status)) {
        survivors.push(`${path.relative(process.cwd(), path.resolve(file))}:${mu.location.start.line}:${mu.location.start.column} ${mu.mutatorName}${mu.replacement !== undefined ? ` → ${JSON.stringify(mu.replacement).slice(0, 60)}` : ""} (${mu.status})`);
      }
    }
  }
  const detected = Object.entries(counts).filter(([s]) => DETECTED.has(s)).reduce((a, [, n]) => a + n, 0);
  const undetected = Object.entries(counts).filter(([s]) => UNDETECTED.has(s)).reduce((a, [, n]) => a + n, 0);
  const score = detected + undetected ? Math.round((1000 * detected) / (detected + undetected)) / 10 : null;
  result[name] = { score, killed: counts.Killed ?? 0, timeout: counts.Timeout ?? 0, survived: counts.Survived ?? 0, noCoverage: counts.NoCoverage ?? 0, ignored: counts.Ignored ?? 0, errors: (counts.CompileError ?? 0) + (counts.RuntimeError ?? 0), survivors };
}
console.log(JSON.stringify({ bench: "mutation", modules: result }));
process.exit(failed ? 1 : 0);
