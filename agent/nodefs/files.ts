import { randomBytes } from "node:crypto";
import { promises as fs, constants as fsc, type Stats } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";

/** Marks the agent's temporaries: a later write removes stale ones, and tests know them. */
export const TMP_MARK = ".pwb-tmp-";

/** What a write adds to a run's counters (the engine's ApplyStats has these and more). */
export interface WriteCounters {
  filesWritten: number;
  bytesWritten: number;
}

/** The most any file the agent reads may hold unless its reader sets a smaller cap. */
export const DEFAULT_READ_CAP = 64 * 1024 * 1024;

/** A file that is not what a reader expects (a FIFO, a device, a directory, too big): exit 1 naming it. */
export class UnexpectedFileError extends RuntimeFailure {
  override name = "UnexpectedFileError";
}

export function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Reads a regular file of at most `maxBytes`, or null when it does not exist. Anything else (a
 * FIFO that would block forever, a device, a directory, a file over the cap) is an
 * UnexpectedFileError naming `shown`. The type is checked before opening (opening a FIFO or a tape
 * device has effects), and again on the open descriptor (O_NONBLOCK: a FIFO swapped in meanwhile
 * cannot block the open); the read stops one byte past the cap, so a file that grows is caught too.
 */
export async function readRegular(realPath: string, o: { maxBytes?: number; shown?: string } = {}): Promise<Buffer | null> {
  const { max, check, nextReadSize, grewPastCap } = regularRead(realPath, o);
  let h;
  try {
    check(await fs.stat(realPath));
    h = await fs.open(realPath, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
  try {
    const { size } = check(await h.stat());
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = nextReadSize(size, total);
      const { bytesRead, buffer } = await h.read(Buffer.alloc(want), 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw grewPastCap();
      // A regular file's short read is its end.
      if (bytesRead < want) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await h.close();
  }
}

/**
 * What both readers (this one and read-sync.ts) share: the type and size guard, applied before the
 * open and on the descriptor, and the size of each read: the file's size plus one byte (to see it
 * grew), never past the cap, so most reads are one call.
 */
export function regularRead(realPath: string, o: { maxBytes?: number; shown?: string }) {
  const max = o.maxBytes ?? DEFAULT_READ_CAP;
  const shown = o.shown ?? realPath;
  return {
    max,
    shown,
    check<S extends Stats>(st: S): S {
      if (!st.isFile()) throw new UnexpectedFileError(`${shown}: ${kindOf(st)}, expected a regular file`, { path: shown });
      if (st.size > max) throw new UnexpectedFileError(`${shown}: ${st.size} bytes, more than the ${max} this file may hold`, { path: shown });
      return st;
    },
    nextReadSize: (size: number, total: number) => Math.min(max + 1 - total, Math.max(size + 1 - total, 4096), 1 << 20) || 1,
    grewPastCap: () => new UnexpectedFileError(`${shown}: more than the ${max} bytes this file may hold`, { path: shown }),
  };
}

/** The first `n` bytes of a regular file (fewer when it is shorter), or null when it is missing or not a regular file. */
export async function readHead(realPath: string, n: number): Promise<Buffer | null> {
  const h = await fs.open(realPath, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
  if (!h) return null;
  try {
    if (!(await h.stat()).isFile()) return null;
    const { buffer, bytesRead } = await h.read(Buffer.alloc(n), 0, n, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/** Strict UTF-8: bytes that are not valid UTF-8 are an error naming `shown`, never silently replaced. */
export function decodeUtf8(buf: Uint8Array, shown: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    throw new UnexpectedFileError(`${shown}: not valid UTF-8 text`, { path: shown });
  }
}

export async function readMaybe(realPath: string, maxBytes?: number): Promise<Buffer | null> {
  return readRegular(realPath, { maxBytes });
}

export async function readTextMaybe(realPath: string, maxBytes?: number): Promise<string | null> {
  const buf = await readMaybe(realPath, maxBytes);
  return buf === null ? null : buf.toString("utf8");
}

export async function lstatMaybe(realPath: string) {
  try {
    return await fs.lstat(realPath);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export async function readlinkMaybe(realPath: string): Promise<string | null> {
  try {
    return await fs.readlink(realPath);
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === "EINVAL") return null;
    throw e;
  }
}

export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function tmpName(realPath: string, tmpDir?: string): string {
  const dir = tmpDir ?? path.dirname(realPath);
  return path.join(dir, `.${path.basename(realPath)}${TMP_MARK}${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Temporary files a killed earlier run left for this target (names only). */
export async function staleTemps(realPath: string, tmpDir?: string): Promise<string[]> {
  const dir = tmpDir ?? path.dirname(realPath);
  const prefix = `.${path.basename(realPath)}${TMP_MARK}`;
  try {
    return (await fs.readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => path.join(dir, n));
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

/** Removes temporary files a killed earlier run left for this target. */
export async function removeStaleTemps(realPath: string, tmpDir?: string): Promise<void> {
  await Promise.all((await staleTemps(realPath, tmpDir)).map((p) => fs.rm(p, { force: true })));
}

export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export interface WriteOptions {
  mode: number;
  uid?: number;
  gid?: number;
  tmpDir?: string;
  /** false: no fsync of file or directory (a runtime file under /run: a crash takes it anyway). */
  durable?: boolean;
}

/**
 * Writes the whole file or nothing: a temporary file on the same filesystem, fsync, then
 * rename(2) over the target and fsync of the directory. A crash leaves the old file or the new one.
 */
export async function atomicWrite(realPath: string, data: string | Uint8Array, opts: WriteOptions, stats?: WriteCounters): Promise<void> {
  await fs.mkdir(path.dirname(realPath), { recursive: true, mode: 0o755 });
  if (opts.tmpDir) await fs.mkdir(opts.tmpDir, { recursive: true, mode: 0o700 });
  await removeStaleTemps(realPath, opts.tmpDir);
  const tmp = tmpName(realPath, opts.tmpDir);
  const h = await fs.open(tmp, "wx", 0o600);
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    await h.writeFile(buf);
    if (opts.uid !== undefined || opts.gid !== undefined) await h.chown(opts.uid ?? -1, opts.gid ?? -1);
    await h.chmod(opts.mode);
    if (opts.durable !== false) await h.sync();
    await h.close();
    await fs.rename(tmp, realPath);
    if (stats) {
      stats.filesWritten += 1;
      stats.bytesWritten += buf.length;
    }
  } catch (e) {
    await h.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (opts.durable !== false) await fsyncDir(path.dirname(realPath));
}

/** Creates a new file (O_EXCL: never one that exists, nor through a link) in an existing directory, synced. */
export async function writeNew(realPath: string, data: string | Uint8Array, mode: number): Promise<void> {
  const h = await fs.open(realPath, "wx", mode);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The longest line appendLine writes: far more than one run log entry needs, bounded all the same. */
export const MAX_APPEND_LINE_BYTES = 1024 * 1024;

/**
 * Appends `line` and a newline with one write(2) on an O_APPEND descriptor. On a local file system
 * an O_APPEND write lands at the end whole, under the inode's lock, whatever its size (PIPE_BUF
 * bounds pipes, not regular files), so concurrent writers never interleave within a line. A short
 * write (disk full) is an error, never finished by a second write another writer could split.
 * O_NONBLOCK: a FIFO planted there fails the open (ENXIO) instead of blocking.
 */
export async function appendLine(realPath: string, line: string, mode: number): Promise<void> {
  if (line.includes("\n")) throw new Error("appendLine: the line holds a newline");
  const buf = Buffer.from(line + "\n", "utf8");
  if (buf.length > MAX_APPEND_LINE_BYTES) throw new RuntimeFailure(`${realPath}: a line of ${buf.length} bytes, more than the ${MAX_APPEND_LINE_BYTES} one append may write`);
  await fs.mkdir(path.dirname(realPath), { recursive: true, mode: 0o755 });
  const h = await fs.open(realPath, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NONBLOCK | fsc.O_NOCTTY, mode);
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new UnexpectedFileError(`${realPath}: ${kindOf(st)}, expected a regular file`, { path: realPath });
    const { bytesWritten } = await h.write(buf, 0, buf.length, null);
    if (bytesWritten !== buf.length) throw new RuntimeFailure(`${realPath}: wrote ${bytesWritten} of ${buf.length} bytes (disk full?)`);
  } finally {
    await h.close();
  }
}

/** Points `realPath` at `target`, replacing whatever link was there, atomically. */
export async function atomicSymlink(target: string, realPath: string, stats?: WriteCounters): Promise<void> {
  await fs.mkdir(path.dirname(realPath), { recursive: true, mode: 0o755 });
  await removeStaleTemps(realPath);
  const tmp = tmpName(realPath);
  await fs.symlink(target, tmp);
  try {
    await fs.rename(tmp, realPath);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (stats) stats.filesWritten += 1;
  await fsyncDir(path.dirname(realPath));
}
