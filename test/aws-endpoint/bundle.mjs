// Bundles a TypeScript entry into one ESM file under a temp dir (tsx is not a dependency; esbuild is),
// for the standalone endpoint and the benchmarks. Returns the file's path.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function bundleTs(entry, name = path.basename(entry, ".ts")) {
  return build({ entryPoints: [path.resolve(ROOT, entry)] }, name);
}

/** Bundles a module written inline (e.g. re-exports of the TS modules a benchmark needs), resolved from the repo root. */
export function bundleSource(contents, name) {
  return build({ stdin: { contents, resolveDir: ROOT, loader: "ts", sourcefile: `${name}.ts` } }, name);
}

async function build(input, name) {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "pwb-bundle-")), `${name}.mjs`);
  await esbuild.build({
    ...input,
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    // Bundled CommonJS dependencies still call require() for node built-ins.
    banner: { js: "import { createRequire as __pwbRequire } from 'node:module'; const require = __pwbRequire(import.meta.url);" },
    loader: { ".service": "text", ".timer": "text" },
    define: { __PWB_VERSION__: JSON.stringify("0.0.0-bundle") },
    logLevel: "warning",
  });
  return out;
}
