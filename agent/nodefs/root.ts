import { promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import {
  appendLine,
  atomicSymlink,
  atomicWrite,
  decodeUtf8,
  fsyncDir,
  isMissing,
  lstatMaybe,
  readHead,
  readlinkMaybe,
  readRegular,
  removeStaleTemps,
  staleTemps,
  type WriteCounters,
  writeNew,
} from "./files.js";
import { readRegularSync } from "./read-sync.js";
import { resolveReal } from "./resolve.js";

/** What a confined path is for, in the refusal's words ("refusing to read …"). */
export type Action = "read" | "write" | "remove" | (string & {});

export interface ReadOptions {
  /** The largest file accepted (readRegular's cap by default). */
  maxBytes?: number;
  /** The name errors show (the real path by default). */
  shown?: string;
}

export interface NodeWriteOptions {
  mode: number;
  uid?: number;
  gid?: number;
  /** A node directory for the temporary file (a private one, for secrets), confined like the file. */
  tmpDir?: string;
  /** false: no fsync (a runtime file under /run, which a crash takes with it anyway). */
  durable?: boolean;
}

/**
 * The node's filesystem: every read, write, lock, walk, link and removal of a node path goes
 * through a method here, which confines the path first. `/` is the live node, where paths are used
 * as the administrator set them up and confining costs nothing; anything else is a simulated node
 * (tests, the demo, `--root`), where a path a link leads out of the root is refused and commands that
 * would change the system (packages, services) are planned, not run.
 * What acts through the last component (reads, stat, chmod, mkdirp, appendLine, syncDir) follows
 * a link there, which must stay inside too; lstat, readlink and whatever replaces or removes the
 * last component never follow it.
 */
/** Node directories that are the node's own disks (never a site's shared storage), read without the thread pool. */
const LOCAL_DIRS = ["/etc/", "/usr/", "/var/lib/", "/run/", "/proc/", "/sys/"];

export class Root {
  readonly dir: string;
  readonly live: boolean;
  private mountPoints: string[] = [];
  private bases: Promise<string[]> | null = null;

  constructor(dir = "/") {
    this.dir = path.resolve(dir);
    this.live = this.dir === "/";
  }

  /** Maps a real path back to the node path (for messages). */
  nodePath(realPath: string): string {
    if (this.live) return realPath;
    return "/" + path.relative(this.dir, realPath);
  }

  /**
   * Node paths that stand for mounted file systems (the site's shared storage). On a simulated
   * node they may be links to a directory outside the root, as the shared storage of two
   * simulated nodes must be; everything under them counts as inside.
   */
  allowMountLinks(nodePaths: readonly string[]): void {
    this.mountPoints = [...nodePaths];
    this.bases = null;
  }

  // ---- reads (the last component followed) ----

  /** A regular file's bytes (at most `maxBytes`), or null when missing; anything else is an UnexpectedFileError. */
  async readBytes(nodePath: string, o: ReadOptions = {}): Promise<Buffer | null> {
    const real = await this.#confine(nodePath, "read");
    return this.#read(nodePath, real, { maxBytes: o.maxBytes, shown: o.shown ?? real });
  }

  /** readBytes as text; `strict`: bytes that are not UTF-8 are an error instead of replaced. */
  async readText(nodePath: string, o: ReadOptions & { strict?: boolean } = {}): Promise<string | null> {
    const real = await this.#confine(nodePath, "read");
    const shown = o.shown ?? real;
    const buf = await this.#read(nodePath, real, { maxBytes: o.maxBytes, shown });
    if (buf === null) return null;
    return o.strict ? decodeUtf8(buf, shown) : buf.toString("utf8");
  }

  /** The first `n` bytes of a regular file, or null when it is missing or not one (a magic number). */
  async readHead(nodePath: string, n: number): Promise<Buffer | null> {
    return readHead(await this.#confine(nodePath, "read"), n);
  }

  /** A directory's entry names (unsorted); throws as readdir(3) does (ENOENT, ENOTDIR, EACCES). */
  async readdir(nodeDir: string): Promise<string[]> {
    return fs.readdir(await this.#confine(nodeDir, "read"));
  }

  /** stat(2) through a link at the last component, or null when missing. */
  async stat(nodePath: string): Promise<Stats | null> {
    const real = await this.#confine(nodePath, "read");
    return fs.stat(real).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
  }

  // ---- the last component itself ----

  /** lstat(2), or null when missing. */
  async lstat(nodePath: string): Promise<Stats | null> {
    return lstatMaybe(await this.#confine(nodePath, "read", false));
  }

  /** A link's target, or null when missing or not a link. */
  async readlink(nodePath: string): Promise<string | null> {
    return readlinkMaybe(await this.#confine(nodePath, "read", false));
  }

  /** Whether anything (a dangling link included) is there. */
  async exists(nodePath: string): Promise<boolean> {
    return (await this.lstat(nodePath)) !== null;
  }

  // ---- writes ----

  /** The whole file or nothing (atomicWrite): a temporary, fsync, rename over the last component. */
  async writeAtomic(nodePath: string, data: string | Uint8Array, o: NodeWriteOptions, stats?: WriteCounters): Promise<void> {
    const real = await this.#confine(nodePath, "write", false);
    const tmpDir = o.tmpDir === undefined ? undefined : await this.#confine(o.tmpDir, "write");
    await atomicWrite(real, data, { mode: o.mode, uid: o.uid, gid: o.gid, tmpDir, durable: o.durable }, stats);
  }

  /** A new file, synced; fails when anything is there or its directory is missing (a write probe). */
  async writeNew(nodePath: string, data: string | Uint8Array, o: { mode: number }): Promise<void> {
    await writeNew(await this.#confine(nodePath, "write", false), data, o.mode);
  }

  /** Temporary files a killed earlier write of this file left (real paths; for counting). */
  async staleTemps(nodePath: string, tmpDir?: string): Promise<string[]> {
    const real = await this.#confine(nodePath, "write", false);
    return staleTemps(real, tmpDir === undefined ? undefined : await this.#confine(tmpDir, "write"));
  }

  async removeStaleTemps(nodePath: string, tmpDir?: string): Promise<void> {
    const real = await this.#confine(nodePath, "remove", false);
    await removeStaleTemps(real, tmpDir === undefined ? undefined : await this.#confine(tmpDir, "remove"));
  }

  /** Points `nodePath` at `target` (taken as it is: a link's text is not a path here), atomically. */
  async symlink(target: string, nodePath: string, stats?: WriteCounters): Promise<void> {
    await atomicSymlink(target, await this.#confine(nodePath, "write", false), stats);
  }

  /** One line appended with one O_APPEND write (appendLine); the file created with `mode`. */
  async appendLine(nodePath: string, line: string, o: { mode: number }): Promise<void> {
    await appendLine(await this.#confine(nodePath, "write"), line, o.mode);
  }

  /** mkdir -p; the node path of the first directory it created, undefined when all existed. */
  async mkdirp(nodeDir: string, mode = 0o755): Promise<string | undefined> {
    const first = await fs.mkdir(await this.#confine(nodeDir, "write"), { recursive: true, mode });
    return first === undefined ? undefined : this.nodePath(first);
  }

  /** chmod(2) (it follows a link, so the link's target must stay inside too). */
  async chmod(nodePath: string, mode: number): Promise<void> {
    await fs.chmod(await this.#confine(nodePath, "write"), mode);
  }

  /** lchown(2): the last component itself; -1 keeps an id. */
  async chown(nodePath: string, uid: number | undefined, gid: number | undefined): Promise<void> {
    await fs.lchown(await this.#confine(nodePath, "write", false), uid ?? -1, gid ?? -1);
  }

  /** rename(2): replaces `to`'s last component, never what a link there points at. */
  async rename(from: string, to: string): Promise<void> {
    const src = await this.#confine(from, "write", false);
    await fs.rename(src, await this.#confine(to, "write", false));
  }

  /** fsync(2) of a directory: the renames in it survive a crash. */
  async syncDir(nodeDir: string): Promise<void> {
    await fsyncDir(await this.#confine(nodeDir, "write"));
  }

  /** rm -f (`recursive`: rm -rf); missing is fine. */
  async remove(nodePath: string, o: { recursive?: boolean } = {}): Promise<void> {
    await fs.rm(await this.#confine(nodePath, "remove", false), { force: true, recursive: o.recursive ?? false });
  }

  /** rmdir(2); false when the directory is missing or not empty. */
  async removeEmptyDir(nodeDir: string): Promise<boolean> {
    const real = await this.#confine(nodeDir, "remove", false);
    return fs.rmdir(real).then(() => true, () => false);
  }

  // ---- real paths, for what cannot take a node path ----

  /**
   * The real path of `nodePath`, confined, for what needs one: an argument of a command the runner
   * starts, a download's destination, a tool's working directory. The one visible escape hatch:
   * grep for it. `followLeaf: false` when the user replaces or removes the last component.
   */
  async realPathFor(nodePath: string, o: { action: Action; followLeaf?: boolean }): Promise<string> {
    return this.#confine(nodePath, o.action, o.followLeaf ?? true);
  }

  /**
   * A lock file's real path with its directory's links resolved: every process converging the same
   * tree, whatever path it was given, names the same lock. Live: one realpath(3) of the directory.
   */
  async lockPath(nodePath: string): Promise<string> {
    const real = this.#real(nodePath);
    if (!this.live) return (await this.#check(nodePath, real, "write", false)).resolved;
    return path.join(await resolveReal(path.dirname(real)), path.basename(real));
  }

  // ---- confinement ----

  /** Reads a file: at once where it lies on the node's own disks, through the thread pool elsewhere (shared storage may hang). */
  #read(nodePath: string, real: string, o: { maxBytes?: number; shown: string }): Promise<Buffer | null> | Buffer | null {
    const local = LOCAL_DIRS.some((d) => nodePath.startsWith(d)) && !this.mountPoints.some((m) => nodePath === m || nodePath.startsWith(m.endsWith("/") ? m : m + "/"));
    return local ? readRegularSync(real, o) : readRegular(real, o);
  }


  #real(nodePath: string): string {
    if (!path.isAbsolute(nodePath)) throw new Error(`not an absolute node path: ${nodePath}`);
    return this.live ? path.normalize(nodePath) : path.join(this.dir, nodePath);
  }

  /**
   * The real path of `nodePath`, once it is known to stay inside the root: every component is
   * resolved as the kernel would (links included, dangling ones too) and the result must lie under
   * the root or a mount point's directory. `followLeaf` false for operations on the last component
   * itself. On the live node nothing is resolved.
   */
  async #confine(nodePath: string, action: Action, followLeaf = true): Promise<string> {
    const real = this.#real(nodePath);
    if (this.live) return real;
    await this.#check(nodePath, real, action, followLeaf);
    return real;
  }

  async #check(nodePath: string, real: string, action: Action, followLeaf: boolean): Promise<{ resolved: string }> {
    const resolved = followLeaf ? await resolveReal(real) : path.join(await resolveReal(path.dirname(real)), path.basename(real));
    const bases = await this.#allowedBases();
    if (bases.some((b) => resolved === b || resolved.startsWith(b + "/"))) return { resolved };
    const link = await this.#firstLinkOut(nodePath, bases);
    throw new RuntimeFailure(
      `refusing to ${action} ${nodePath} under root ${this.dir}: ${link ?? nodePath} is a link leading outside the root (to ${resolved})`,
      { path: nodePath },
    );
  }

  #allowedBases(): Promise<string[]> {
    this.bases ??= (async () => {
      const inRoot = await fs.realpath(this.dir);
      const bases = [inRoot];
      for (const mp of this.mountPoints) {
        // Only the mount point itself may lead out: a link above it is as hostile as any other.
        const parent = await resolveReal(path.dirname(this.#real(mp))).catch(() => null);
        if (parent === null || !(parent === inRoot || parent.startsWith(inRoot + "/"))) continue;
        const real = await resolveReal(this.#real(mp)).catch(() => null);
        if (real) bases.push(real);
      }
      return bases;
    })();
    return this.bases;
  }

  /** The first component of `nodePath` that is a link resolving outside `bases`, with its target (for messages). */
  async #firstLinkOut(nodePath: string, bases: string[]): Promise<string | null> {
    const parts = nodePath.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = "/" + parts.slice(0, i).join("/");
      const target = await fs.readlink(this.#real(prefix)).catch(() => null);
      if (target === null) continue;
      const resolved = await resolveReal(this.#real(prefix)).catch(() => null);
      if (resolved && !bases.some((b) => resolved === b || resolved.startsWith(b + "/"))) return `${prefix} (→ ${target})`;
    }
    return null;
  }
}
