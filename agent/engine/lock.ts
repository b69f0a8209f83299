import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import { isMissing } from "./fsutil.js";

export const LOCK_PATH = "/run/pwb-agent/apply.lock";
const POLL_MS = 100;
const BREAKER_STALE_MS = 10_000;

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

export interface Lock {
  release(): Promise<void>;
}

/**
 * One apply at a time. An exclusive-create lock file holds "pid starttime"; a lock whose owner
 * is gone (killed, crashed) is broken by exactly one waiter. Waits up to `timeoutMs`.
 */
export async function acquireLock(realPath: string, timeoutMs: number): Promise<Lock> {
  await fs.mkdir(path.dirname(realPath), { recursive: true, mode: 0o755 });
  const me = `${process.pid} ${processStartTime(process.pid) ?? "0"}\n`;
  const deadline = Date.now() + timeoutMs;
  let holder = "";
  for (;;) {
    try {
      const h = await fs.open(realPath, "wx", 0o644);
      await h.writeFile(me);
      await h.close();
      return {
        release: async () => {
          const current = await fs.readFile(realPath, "utf8").catch(() => "");
          if (current === me) await fs.rm(realPath, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    holder = await fs.readFile(realPath, "utf8").catch((e: unknown) => (isMissing(e) ? "" : Promise.reject(e)));
    if (holder && !ownerAlive(holder)) {
      await breakStaleLock(realPath, holder, me);
      continue;
    }
    if (Date.now() >= deadline) {
      const pid = holder.trim().split(/\s+/)[0] || "unknown";
      throw new RuntimeFailure(
        `another pwb-agent apply (pid ${pid}) holds ${realPath}; gave up after ${Math.round(timeoutMs / 1000)} s (--lock-timeout)`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function breakStaleLock(realPath: string, staleContent: string, me: string): Promise<void> {
  // One breaker at a time: a second lock file guards the removal of the first.
  const breaker = `${realPath}.break`;
  try {
    const h = await fs.open(breaker, "wx", 0o644);
    await h.writeFile(me);
    await h.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // A breaker killed mid-way must not block everyone: drop its file once its owner is gone.
    const other = await fs.readFile(breaker, "utf8").catch(() => "");
    const st = await fs.stat(breaker).catch(() => null);
    const abandoned = other ? !ownerAlive(other) : st !== null && Date.now() - st.mtimeMs > BREAKER_STALE_MS;
    if (abandoned && (await fs.readFile(breaker, "utf8").catch(() => "")) === other) await fs.rm(breaker, { force: true });
    return; // retry from the top
  }
  try {
    const now = await fs.readFile(realPath, "utf8").catch(() => "");
    if (now === staleContent) await fs.rm(realPath, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}
