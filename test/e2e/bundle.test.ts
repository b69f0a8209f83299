// The one-file bundle (dist/pwb-agent.cjs) as users and the npm `bin` run it: `node dist/pwb-agent.cjs`.
// The build is not run here: `npm test` (test/run.mjs) builds first. A missing artifact fails loudly.
import { spawnSync } from "node:child_process";
import { builtinModules } from "node:module";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUNDLE = path.join(ROOT, "dist", "pwb-agent.cjs");
const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

/**
 * Every test calls this first, so each one FAILS (not skips, as a failing beforeAll would report it)
 * with the fix in its message: a suite that passes without its artifact hides a broken build.
 */
function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${path.relative(ROOT, BUNDLE)} is missing: run \`npm run build\` first`);
}

/** Runs the bundle under the Node that runs the tests (Node 20 on the dev/CI machines). */
function runBundle(args: string[]) {
  requireBundle();
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("dist/pwb-agent.cjs", () => {
  it("--version prints the package.json version injected at build time", () => {
    const r = runBundle(["--version"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // "0.0.0-dev" here would mean the __PWB_VERSION__ define did not reach agent/version.ts.
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it("--help lists the commands", () => {
    const r = runBundle(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: pwb-agent /m);
    for (const cmd of ["detect", "plan", "apply", "version"]) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, "m"));
  });

  it("version --json reports the Node that runs it", () => {
    const r = runBundle(["version", "--json"]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { version: string; node: string; sea?: boolean };
    expect(info.version).toBe(VERSION);
    expect(info.node).toBe(process.versions.node);
    if ("sea" in info) expect(info.sea).toBe(false);
  });

  it("is an executable script that requires only Node built-ins (what a SEA main may do)", () => {
    requireBundle();
    expect(statSync(BUNDLE).mode & 0o111).not.toBe(0);
    const text = readFileSync(BUNDLE, "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    const builtins = new Set(builtinModules);
    // Not `[require('x');]`: the AWS SDK's error messages quote that advice as text (S3's SigV4a hint).
    const required = [...text.matchAll(/(?<!\[)\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]!);
    const foreign = required.filter((id) => !id.startsWith("node:") && !builtins.has(id));
    expect(foreign).toEqual([]);
  });
});
