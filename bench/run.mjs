// `npm run bench [-- NAME]`: builds, then runs bench/NAME.mjs (all benchmarks when no name).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const all = readdirSync(new URL(".", import.meta.url)).filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && !f.startsWith("lib"));
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : all.map((f) => f.replace(/\.mjs$/, ""));
const unknown = names.filter((n) => !all.includes(`${n}.mjs`));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; have: ${all.map((f) => f.replace(/\.mjs$/, "")).join(", ")}`);
  process.exit(2);
}
if (spawnSync("node", ["packaging/build.mjs", "--quiet"], { stdio: "inherit" }).status !== 0) process.exit(1);
let failed = 0;
for (const n of names) {
  console.log(`\n== bench ${n}`);
  failed += spawnSync("node", [`bench/${n}.mjs`], { stdio: "inherit" }).status === 0 ? 0 : 1;
}
process.exit(failed ? 1 : 0);
