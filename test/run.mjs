// `npm test`: make sure the machine has what the tests need (installing Debian packages when
// it can), build the bundle and the single executable, run vitest, and end with one summary line.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { missing } from "./prereqs.mjs";

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: "inherit", ...opts });
  return r.status ?? 1;
}

let absent = missing();
if (absent.length && process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0) {
  const pkgs = [...new Set(absent.map((p) => p.pkg))];
  console.log(`installing test prerequisites: ${pkgs.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run(["apt-get", "update", "-qq"], { env });
  run(["apt-get", "install", "-y", "-qq", ...pkgs], { env });
  absent = missing();
}
if (absent.length) {
  // The tests that need these fail with the same advice; say it once up front too.
  for (const p of absent) console.error(`missing ${p.cmd} (${p.why}): install with  sudo apt-get install ${p.pkg}`);
}

if (run(["node", "packaging/build.mjs", "--quiet"]) !== 0) {
  console.error("build failed");
  process.exit(1);
}

const results = ".vitest-results.json";
rmSync(results, { force: true });
const code = run([
  "npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...process.argv.slice(2),
]);
try {
  const r = JSON.parse(readFileSync(results, "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
} catch {
  console.log("0 passed, 1 failed (vitest wrote no results)");
  process.exit(code || 1);
}
process.exit(code);
