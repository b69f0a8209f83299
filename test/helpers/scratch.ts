import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/**
 * Scratch trees on tmpfs where there is one, removed after the file's tests: fsync is free there, and
 * a SIGKILL (unlike a power cut) never depends on it, so crash suites test exactly the rename-based
 * atomicity at a fraction of the time. Call once at module level; use the returned maker in tests.
 */
export function tmpfsScratch(): (prefix: string) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const d of made) await fs.rm(d, { recursive: true, force: true });
  });
  return async (prefix) => {
    const parent = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
    const d = await fs.mkdtemp(path.join(parent, prefix));
    made.push(d);
    return d;
  };
}
