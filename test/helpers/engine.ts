import { createHash } from "node:crypto";
import { promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { Accounts } from "../../agent/nodefs/accounts.js";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import { SpawnRunner } from "../../agent/engine/runner.js";
import type { EngineContext, Resource } from "../../agent/engine/types.js";
import type { OsFamily } from "../../agent/facts/types.js";
import { silentLogger } from "../../agent/log.js";

const made: string[] = [];
// Registered at import time, so it runs after the last test of every file that uses tempDir.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(prefix = "pwb-test-"): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A fresh engine context over `dir` with the real runner (simulated root: mutating commands are recorded). */
export function context(dir: string, osFamily: OsFamily | null = "rhel"): EngineContext {
  const log = silentLogger();
  const root = new Root(dir);
  return {
    root,
    runner: new SpawnRunner(log, !root.live),
    accounts: new Accounts(root),
    log,
    osFamily,
    diffs: true,
    stats: { filesWritten: 0, bytesWritten: 0, commandsRun: 0 },
  };
}

/** plan then apply with a fresh context, as one `pwb-agent apply` would. */
export async function converge(dir: string, resources: Resource[], osFamily: OsFamily | null = "rhel") {
  const ctx = context(dir, osFamily);
  const changes = await plan(resources, ctx);
  const report = await apply(changes, resources, ctx);
  return { changes, report };
}

/** Every path under dir (relative), with type, mode and content hash: compares whole trees. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const real = path.join(dir, rel);
    const st = await fs.lstat(real);
    if (st.isDirectory()) {
      out[rel || "."] = `dir ${(st.mode & 0o7777).toString(8)}`;
      for (const name of (await fs.readdir(real)).sort()) await walk(path.join(rel, name));
    } else if (st.isSymbolicLink()) {
      out[rel] = `link ${await fs.readlink(real)}`;
    } else {
      const data = await fs.readFile(real);
      out[rel] = `file ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${data.length} sha256:${createHash("sha256").update(data).digest("hex")} ${st.mtimeMs}`;
    }
  }
  await walk("");
  return out;
}
