// The single executable (dist/pwb-agent) on a machine without Node: PATH holds nothing and no NODE_*
// variables are passed, so the only Node it can use is the one embedded in it.
// The build is not run here: `npm test` (test/run.mjs) builds first. A missing artifact fails loudly.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSimulatedNode } from "../../agent/simulation/node.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SEA = path.join(ROOT, "dist", "pwb-agent");
const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

let scratch = "";
let emptyPath = "";

/**
 * Every test calls this first, so each one FAILS (not skips, as a failing beforeAll would report it)
 * with the fix in its message: a suite that passes without its artifact hides a broken build.
 */
function requireSea(): void {
  const rel = path.relative(ROOT, SEA);
  if (!existsSync(SEA)) throw new Error(`${rel} is missing: run \`npm run build\` first`);
  if ((statSync(SEA).mode & 0o111) === 0) throw new Error(`${rel} is not executable: run \`npm run build\``);
}

/** Runs the executable with an environment of exactly { PATH: <an empty dir> }. */
function runSea(args: string[]) {
  requireSea();
  const r = spawnSync(SEA, args, { encoding: "utf8", timeout: 30_000, env: { PATH: emptyPath } });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("dist/pwb-agent (single executable)", () => {
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), "pwb-sea-test-"));
    emptyPath = path.join(scratch, "empty-bin");
    // An existing, empty directory: `node` cannot be found, and nothing else either.
    mkdirSync(emptyPath);
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("--version runs without Node on PATH and without the SEA warning", () => {
    const r = runSea(["--version"]);
    // With stripping after injection the blob is lost and this prints Node's own "v24.x".
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.code).toBe(0);
    // disableExperimentalSEAWarning: nothing on stderr.
    expect(r.stderr).toBe("");
  });

  it("embeds a supported Node (major >= 22), not the build machine's", () => {
    const r = runSea(["version", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { version: string; node: string; sea?: boolean };
    expect(info.version).toBe(VERSION);
    expect(Number(info.node.split(".")[0])).toBeGreaterThanOrEqual(22);
    if ("sea" in info) expect(info.sea).toBe(true);
  });

  it("detect --json reads a simulated login node", async () => {
    requireSea();
    const root = path.join(scratch, "login-node");
    await writeSimulatedNode(root, { role: "login" });
    const r = runSea(["detect", "--json", "--root", root, "--no-imds"]);
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as { role: string; roleSource: string; cluster: { name: string | null; pool: string | null } };
    expect(facts.role).toBe("login");
    expect(facts.roleSource).toBe("dna.json");
    expect(facts.cluster.name).toBe("pwb-demo");
    expect(facts.cluster.pool).toBe("login");
  });

  it("detect --role overrides the role the node files say", async () => {
    requireSea();
    const root = path.join(scratch, "override-node");
    await writeSimulatedNode(root, { role: "login" });
    const r = runSea(["detect", "--json", "--root", root, "--role", "head", "--no-imds"]);
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as { role: string; roleSource: string };
    expect(facts).toMatchObject({ role: "head", roleSource: "override" });
  });
});
