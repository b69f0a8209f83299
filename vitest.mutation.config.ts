import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

/** The main config, narrowed to the test files of the module under mutation (MUTATION_TESTS, comma-separated). */
const tests = (process.env["MUTATION_TESTS"] ?? "").split(",").filter(Boolean);
if (tests.length === 0) throw new Error("MUTATION_TESTS is empty: run mutation testing through `npm run mutation`");

const config = mergeConfig(base, defineConfig({ test: { maxWorkers: 1, fileParallelism: false } }));
// mergeConfig concatenates arrays: the include list is replaced, not added to.
config.test!.include = tests;
export default config;
