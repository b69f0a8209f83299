import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import { isMissing } from "../nodefs/files.js";

export const LOCK_PATH = "/run/pwb-agent/apply.lock";
/** How often a waiter asks again; it sleeps in between, it never spins. */
const POLL_MS = 100;

export interface Lock {
  release(): Promise<void>;
}

/**
 * The name of the lock: an abstract Unix socket (Linux; no file behind it) named from the lock
 * file's real path, so every process converging the same tree, whatever path it was given, asks
 * for the same name. The kernel frees the name when the holder's last descriptor closes: at exit,
 * even when the holder was SIGKILLed and its parent never reaps it. No liveness guess through
 * /proc, no stale state to break.
 */
function socketName(realLockPath: string): string {
  return "\0pwb-agent-lock-" + createHash("sha256").update(realLockPath).digest("hex");
}

/** Binds the abstract name; false when another process holds it. */
function tryBind(name: string): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((conn) => conn.destroy());
    server.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve(null) : reject(e)));
    server.listen({ path: name, exclusive: true }, () => {
      server.removeAllListeners("error");
      server.unref(); // holding the lock must not keep a finished process alive
      resolve(server);
    });
  });
}

/** The PID file only names the holder in messages; it decides nothing. */
async function holderPid(file: string): Promise<string> {
  const text = await fs.readFile(file, "utf8").catch((e: unknown) => (isMissing(e) ? "" : Promise.reject(e)));
  const pid = text.trim().split(/\s+/)[0] ?? "";
  return /^\d{1,10}$/.test(pid) ? pid : "unknown";
}

async function writePidFile(file: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(tmp, `${process.pid}\n`, { mode: 0o644, flag: "wx" });
  await fs.rename(tmp, file);
}

/** What older versions (a PID-file lock with a breaker) or a killed holder left next to the PID file. */
async function removeLeftovers(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => n === `${base}.break` || (n.startsWith(`${base}.`) && n.endsWith(".tmp")));
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One holder at a time (apply and bake share one lock, alb-sync has its own): waits up to `timeoutMs`
 * for the lock, then fails naming the holder.
 * `realPath` is the PID file (e.g. /run/pwb-agent/apply.lock under the root); its directory is
 * created while the lock is held and removed again on release when this call created it, so a run
 * that fails leaves nothing behind.
 */
export async function acquireLock(realPath: string, timeoutMs: number): Promise<Lock> {
  const dir = path.dirname(realPath);
  const name = socketName(path.join(await realDirOf(dir), path.basename(realPath)));
  const deadline = Date.now() + timeoutMs;
  let server: net.Server | null;
  while (!(server = await tryBind(name))) {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new RuntimeFailure(
        `another pwb-agent run (pid ${await holderPid(realPath)}) holds ${realPath}; gave up after ${Math.round(timeoutMs / 1000)} s (--lock-timeout)`,
      );
    }
    await sleep(Math.min(POLL_MS, left));
  }
  const held = server;
  let firstCreated: string | undefined;
  try {
    firstCreated = await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    await removeLeftovers(realPath);
    await writePidFile(realPath);
  } catch (e) {
    held.close();
    throw e;
  }
  return {
    release: async () => {
      try {
        await fs.rm(realPath, { force: true });
        if (firstCreated) await removeCreatedDirs(dir, firstCreated);
      } finally {
        await new Promise((r) => held.close(r));
      }
    },
  };
}

/** The real path of `dir`, or of its nearest existing ancestor joined with the rest. */
async function realDirOf(dir: string): Promise<string> {
  try {
    return await fs.realpath(dir);
  } catch (e) {
    if (!isMissing(e) || path.dirname(dir) === dir) throw e;
    return path.join(await realDirOf(path.dirname(dir)), path.basename(dir));
  }
}

/** Removes the directories this run created, deepest first; stops at one that holds others' files. */
async function removeCreatedDirs(dir: string, firstCreated: string): Promise<void> {
  for (let d = dir; d.length >= firstCreated.length; d = path.dirname(d)) {
    if (!(await fs.rmdir(d).then(() => true, () => false))) return;
  }
}
