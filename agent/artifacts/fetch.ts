import { createHash, type Hash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import type { Logger } from "../log.js";
import { getObject, type ObjectResponse } from "./s3.js";

/** One file to fetch: where from, what it must hash to, where it lands. */
export interface FetchTarget {
  /** Short name for logs and progress. */
  name: string;
  url: string;
  sha256: string;
  /** Real path of the finished file. A `.part` file beside it holds an interrupted download. */
  dest: string;
}

export interface FetchPolicy {
  /** Attempts per file, first included. */
  attempts: number;
  /** Backoff before attempt n+1: min(maxDelayMs, baseDelayMs·2ⁿ), full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Abort an attempt when no byte arrived for this long (a stalled server). */
  stallTimeoutMs: number;
}

export const DEFAULT_POLICY: FetchPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000, stallTimeoutMs: 30_000 };

export interface FetchEvents {
  onProgress?(name: string, received: number, total: number | null): void;
}

export type FetchOutcome = "cached" | "downloaded" | "resumed";

/** Errors worth another attempt: the network, timeouts and 5xx/429, never a 404 or a bad checksum. */
class RetryableError extends Error {}

export async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  return hash.digest("hex");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fetches one file: nothing when `dest` already has the right hash; otherwise downloads into
 * `dest.part`, resuming it with a Range request after a dropped connection, verifies the sha256
 * and renames into place. A mismatch deletes the partial file and installs nothing.
 */
export async function fetchFile(t: FetchTarget, log: Logger, policy = DEFAULT_POLICY, events: FetchEvents = {}): Promise<FetchOutcome> {
  const want = t.sha256.toLowerCase();
  if ((await sha256Of(t.dest)) === want) return "cached";
  await fs.mkdir(path.dirname(t.dest), { recursive: true, mode: 0o755 });
  const part = `${t.dest}.part`;
  let resumed = false;
  let got = "";
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await downloadInto(part, t, policy, events);
      resumed ||= r.resumed;
      got = r.sha256;
      break;
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt >= policy.attempts) {
        if (!(e instanceof RetryableError)) await fs.rm(part, { force: true });
        throw new RuntimeFailure(`download of ${t.name} from ${t.url} failed after ${attempt} attempt(s): ${(e as Error).message}`);
      }
      const delay = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      log.warn({ artifact: t.name, attempt, error: (e as Error).message, retryInMs: Math.round(delay) }, "download attempt failed; retrying");
      await sleep(delay);
    }
  }
  if (got !== want) {
    await fs.rm(part, { force: true });
    throw new RuntimeFailure(`sha256 mismatch for ${t.name} (${t.url}): expected ${want}, got ${got}; nothing installed`);
  }
  const h = await fs.open(part, "r+");
  await h.sync();
  await h.close();
  await fs.rename(part, t.dest);
  return resumed ? "resumed" : "downloaded";
}

/** Hash of what a partial file already holds, so a resumed download is verified without a re-read. */
async function hashPart(part: string): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of createReadStream(part)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { hash, size };
}

/** One attempt: continues `part` when the server honours Range; returns the whole file's sha256. */
async function downloadInto(
  part: string,
  t: FetchTarget,
  policy: FetchPolicy,
  events: FetchEvents,
): Promise<{ resumed: boolean; sha256: string }> {
  const existing = await hashPart(part);
  const have = existing.size;
  const controller = new AbortController();
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => controller.abort(new Error(`no data for ${policy.stallTimeoutMs} ms`)), policy.stallTimeoutMs);
  };
  armStall();
  try {
    let res: ObjectResponse;
    try {
      res = await getObject(t.url, have, controller.signal);
    } catch (e) {
      throw new RetryableError(errorText(e, controller));
    }
    if (res.status === 416 && have > 0) {
      // The partial file is already whole (or longer than the source): let the hash decide.
      await res.cancel();
      return { resumed: true, sha256: existing.hash.digest("hex") };
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError(`HTTP ${res.status}`);
    if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}`);
    const append = res.status === 206 && have > 0;
    const total = res.length === null ? null : res.length + (append ? have : 0);
    const hash = append ? existing.hash : createHash("sha256");
    const h = await fs.open(part, append ? "a" : "w", 0o600);
    let received = append ? have : 0;
    try {
      if (!res.body) throw new RetryableError("empty response body");
      for await (const chunk of res.body) {
        armStall();
        await h.write(chunk);
        hash.update(chunk);
        received += chunk.length;
        events.onProgress?.(t.name, received, total);
      }
    } catch (e) {
      if (e instanceof RetryableError) throw e;
      throw new RetryableError(errorText(e, controller));
    } finally {
      await h.close();
    }
    if (total !== null && received < total) throw new RetryableError(`connection closed at ${received} of ${total} bytes`);
    return { resumed: append, sha256: hash.digest("hex") };
  } finally {
    clearTimeout(stall);
  }
}

function errorText(e: unknown, controller: AbortController): string {
  if (controller.signal.aborted && controller.signal.reason instanceof Error) return controller.signal.reason.message;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}
