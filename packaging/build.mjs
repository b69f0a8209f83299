#!/usr/bin/env node
// Builds the two shipped artifacts:
//   dist/pwb-agent.cjs  one-file bundle of agent/cli.ts (runs on any Node >= 20)
//   dist/pwb-agent      Node single executable application (SEA): the bundle inside a pinned Node 24
// Flags: --bundle-only (skip the SEA), --quiet (print warnings and errors only).
import { execFile as execFileCb } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import * as esbuild from "esbuild";
import postject from "postject";
import { lazyPackagesPlugin } from "./lazy-packages.mjs";
import { NODE_RUNTIME, ensureNodeRuntime } from "./node-runtime.mjs";

const execFile = promisify(execFileCb);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = path.join(ROOT, "agent", "cli.ts");
const DIST = path.join(ROOT, "dist");
const BUNDLE = path.join(DIST, "pwb-agent.cjs");
const SEA = path.join(DIST, "pwb-agent");
const SEA_STAMP = path.join(DIST, ".pwb-agent.stamp.json");
const CACHE = path.join(ROOT, "packaging", ".cache");
/** Bump when the SEA recipe below changes, so existing stamps stop matching. */
const SEA_RECIPE = 1;
/** Fixed by Node: the fuse the runtime checks to know a blob was injected. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

function parseFlags() {
  try {
    return parseArgs({
      options: { "bundle-only": { type: "boolean", default: false }, quiet: { type: "boolean", default: false } },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${e.message}\nusage: node packaging/build.mjs [--bundle-only] [--quiet]`);
    process.exit(2);
  }
}
const flags = parseFlags();
const say = flags.quiet ? () => {} : (msg) => console.log(msg);

const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(2)} s`;
const rel = (p) => path.relative(process.cwd(), p) || ".";
const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

/** The child gets our PATH but none of NODE_OPTIONS & co: a developer's --require hook must not leak into the blob. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NODE_")));
}

async function bundle() {
  const t0 = performance.now();
  await esbuild.build({
    entryPoints: [ENTRY],
    outfile: BUNDLE,
    bundle: true, // everything, no externals: the SEA's main may only require() built-in modules
    platform: "node",
    format: "cjs", // SEA mains are CommonJS on Node <= 24; also means no top-level await in agent/
    target: "node20", // the bundle also runs under the system Node 20 (npm bin, tests, demo)
    minify: true,
    // Prefer packages' ESM builds: esbuild tree-shakes ESM far better (AWS SDK clients shrink ~2x).
    mainFields: ["module", "main"],
    banner: { js: "#!/usr/bin/env node" },
    // Unit files are imported as their text (agent/units.d.ts); mirrors the plugin in vitest.config.ts.
    loader: { ".service": "text", ".timer": "text", ".path": "text", ".socket": "text", ".conf": "text" },
    define: { __PWB_VERSION__: JSON.stringify(pkg.version) },
    // Keep license notices (/*! */, @license) but move them to the end, out of the hot first lines.
    legalComments: "eof",
    logLevel: "warning",
    // The AWS SDK and pg are compiled only by the commands that import them.
    plugins: [lazyPackagesPlugin({ root: ROOT, target: "node20", mainFields: ["module", "main"] })],
  });
  await fs.chmod(BUNDLE, 0o755);
  const data = await fs.readFile(BUNDLE);
  say(`bundle  ${rel(BUNDLE)}  ${data.length.toLocaleString("en")} B (${mib(data.length)})  in ${secs(t0)}`);
  return sha256(data);
}

async function readJson(file) {
  try {
    return JSON.parse(await fs.readFile(file, "utf8"));
  } catch {
    return null;
  }
}

/**
 * postject's LIEF (wasm) prints "Can't find string offset for section name '.note.100'" a dozen times
 * on every Node ELF binary; it is harmless (nodejs/postject#83: the SEA runs). It reaches us through
 * console.warn, bound when the wasm module loads inside inject(): hide that one message, keep the rest.
 */
async function injectQuietly(exe, blob) {
  const warn = console.warn;
  console.warn = (...args) => {
    if (!/Can't find string offset for section name/.test(String(args[0]))) warn(...args);
  };
  try {
    await postject.inject(exe, "NODE_SEA_BLOB", blob, { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
}

async function sea(bundleSha256) {
  const t0 = performance.now();
  const want = { recipe: SEA_RECIPE, bundleSha256, node: NODE_RUNTIME.version, integrity: NODE_RUNTIME.integrity };
  // Skip when nothing that goes into the executable changed; the size check catches a replaced file.
  const have = await readJson(SEA_STAMP);
  const st = await fs.stat(SEA).catch(() => null);
  if (have && st && Object.entries(want).every(([k, v]) => have[k] === v) && have.size === st.size) {
    say(`sea     ${rel(SEA)}  ${st.size.toLocaleString("en")} B (${mib(st.size)})  up to date (node ${want.node})  in ${secs(t0)}`);
    return;
  }

  const runtime = await ensureNodeRuntime({ cacheDir: CACHE, log: say });
  // Work inside dist/ so the final rename stays on one filesystem (atomic; /tmp may be tmpfs).
  const work = await fs.mkdtemp(path.join(DIST, ".sea-"));
  try {
    const blob = path.join(work, "sea-prep.blob");
    const config = path.join(work, "sea-config.json");
    await fs.writeFile(
      config,
      JSON.stringify({ main: BUNDLE, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }, null, 2),
    );
    // The blob (with V8 code cache) must come from the very binary it is injected into, not the build's Node 20.
    await execFile(runtime.bin, ["--experimental-sea-config", config], { env: cleanEnv() });

    const exe = path.join(work, "pwb-agent");
    await fs.copyFile(runtime.bin, exe);
    await fs.chmod(exe, 0o755);
    // Strip BEFORE injecting: strip rewrites the ELF and drops the injected note, leaving plain node.
    await execFile("strip", [exe]).catch((e) => {
      throw new Error(`strip failed (install binutils): ${e.message}`);
    });
    await injectQuietly(exe, await fs.readFile(blob));
    await fs.chmod(exe, 0o755);

    // Smoke test: an executable whose blob did not take acts as plain node and prints v24.x instead.
    const { stdout } = await execFile(exe, ["--version"], { env: cleanEnv() });
    if (stdout.trim() !== pkg.version) {
      throw new Error(`built ${rel(exe)} answers --version with ${JSON.stringify(stdout.trim())}, expected ${pkg.version}`);
    }

    // Drop the old stamp first: a crash between the rename and the new stamp must force a rebuild.
    await fs.rm(SEA_STAMP, { force: true });
    await fs.rename(exe, SEA);
    const size = (await fs.stat(SEA)).size;
    await fs.writeFile(path.join(work, "stamp.json"), JSON.stringify({ ...want, size }, null, 2) + "\n");
    await fs.rename(path.join(work, "stamp.json"), SEA_STAMP);
    say(`sea     ${rel(SEA)}  ${size.toLocaleString("en")} B (${mib(size)})  node ${runtime.version}  in ${secs(t0)}`);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

try {
  await fs.mkdir(DIST, { recursive: true });
  const bundleSha256 = await bundle();
  if (!flags["bundle-only"]) await sea(bundleSha256);
} catch (e) {
  // esbuild has already printed its diagnostics (e.errors); do not repeat them.
  const esbuildErrors = e?.errors?.length;
  console.error(`build failed: ${esbuildErrors ? `${esbuildErrors} bundling error(s) above` : e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
