import { randomBytes } from "node:crypto";
import { promises as fs, constants as fsc } from "node:fs";
import path from "node:path";
import type { ApplyStats } from "./types.js";

const TMP_MARK = ".pwb-tmp-";

export async function readMaybe(realPath: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(realPath);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export async function readTextMaybe(realPath: string): Promise<string | null> {
  const buf = await readMaybe(realPath);
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

async function fsyncDir(dir: string): Promise<void> {
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
}

/**
 * Writes the whole file or nothing: a temporary file on the same filesystem, fsync, then
 * rename(2) over the target and fsync of the directory. A crash leaves the old file or the new one.
 */
export async function atomicWrite(realPath: string, data: string | Uint8Array, opts: WriteOptions, stats?: ApplyStats): Promise<void> {
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
    await h.sync();
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
  await fsyncDir(path.dirname(realPath));
}

/** Points `realPath` at `target`, replacing whatever link was there, atomically. */
export async function atomicSymlink(target: string, realPath: string, stats?: ApplyStats): Promise<void> {
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
