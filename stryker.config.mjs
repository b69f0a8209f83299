// StrykerJS over the safety-relevant modules (test/mutation/modules.mjs). Run it through
// `npm run mutation [-- MODULE]` (test/mutation/run.mjs), which sets the files to mutate, the tests
// that cover them and the incremental file per module.
import { MODULES } from "./test/mutation/modules.mjs";

const name = process.env.MUTATION_MODULE ?? "";
const module = MODULES[name];
if (!module) throw new Error(`MUTATION_MODULE ${JSON.stringify(name)} is not in test/mutation/modules.mjs: run \`npm run mutation -- MODULE\``);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: module.mutate,
  incrementalFile: `test/mutation/incremental/${name}.json`,
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  coverageAnalysis: "perTest",
  // A shared 2-core machine: one test process at a time.
  concurrency: 1,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  incremental: true,
  // MUTATION_FORCE=1: test every mutant again, reusing nothing (after a change the diff cannot see).
  force: process.env.MUTATION_FORCE === "1",
  reporters: ["clear-text", "json"],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  ignorePatterns: ["dist/*", "!dist/pwb-agent.cjs", "packaging/.cache", "reports", ".vitest-results.json"],
  cleanTempDir: "always",
  thresholds: { high: 90, low: 80, break: null },
};
