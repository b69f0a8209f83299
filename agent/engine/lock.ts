import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import { isMissing } from "./fsutil.js";

export const LOCK_PATH = "/run/pwb-agent/apply.lock";
const POLL_MS = 100;

/** Identity of a process that survives pid reuse: pid + its start time in clock ticks. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function ownerAlive(content: string): boolean {
  const [pidText, start] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return processStartTime(pid) === start;
}

const TMP_SUFFIX = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Creates `file` holding `content`, or returns false if it exists. The content is written to a
 * private temporary file first and hard-linked into place, so the lock file is never seen empty:
 * a process killed half-way leaves either no lock or a complete one.
 */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await fs.writeFile(tmp, content, { mode: 0o644, flag: "wx" });
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Temporary files of processes killed inside createExclusive. */
async function removeDeadTemps(dir: string, base: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = TMP_SUFFIX.exec(name);
    if (m && name.startsWith(base) && processStartTime(Number(m[1])) === null) await fs.rm(path.join(dir, name), { force: true });
  }
}

async function readHolder(file: string): Promise<string> {
  return fs.readFile(file, "utf8").catch((e: unknown) => (isMissing(e) ? "" : Promise.reject(e)));
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * One apply at a time. The lock file holds "pid starttime"; a lock whose owner is gone (killed,
 * crashed) is broken by exactly one waiter. Waits up to `timeoutMs`, then fails naming the holder.
 */
export async function acquireLock(realPath: string, timeoutMs: number): Promise<Lock> {
  await fs.mkdir(path.dirname(realPath), { recursive: true, mode: 0o755 });
  await removeDeadTemps(path.dirname(realPath), path.basename(realPath));
  const me = `${process.pid} ${processStartTime(process.pid) ?? "0"}\n`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await createExclusive(realPath, me)) {
      return {
        release: async () => {
          if ((await readHolder(realPath)) === me) await fs.rm(realPath, { force: true });
        },
      };
    }
    const holder = await readHolder(realPath);
    if (!ownerAlive(holder)) {
      await breakStaleLock(realPath, holder, me);
      continue;
    }
    if (Date.now() >= deadline) {
      const pid = holder.trim().split(/\s+/)[0];
      throw new RuntimeFailure(
        `another pwb-agent apply (pid ${pid}) holds ${realPath}; gave up after ${Math.round(timeoutMs / 1000)} s (--lock-timeout)`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** One breaker at a time: a second lock file, created the same way, guards the removal of the first. */
async function breakStaleLock(realPath: string, staleContent: string, me: string): Promise<void> {
  const breaker = `${realPath}.break`;
  if (!(await createExclusive(breaker, me))) {
    // A breaker killed mid-way must not block everyone: drop its file once its owner is gone.
    const other = await readHolder(breaker);
    if (!ownerAlive(other) && (await readHolder(breaker)) === other) await fs.rm(breaker, { force: true });
    return; // retry from the top
  }
  try {
    if ((await readHolder(realPath)) === staleContent) await fs.rm(realPath, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}
