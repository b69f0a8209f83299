import { promises as fs } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import { isMissing } from "./files.js";

/** Links followed while resolving one path before it counts as a loop (the kernel's limit). */
const MAX_LINK_HOPS = 40;

/**
 * The filesystem seam: every absolute node path goes through here. `/` is the live node;
 * anything else is a simulated node (tests, the demo, `--root`), where commands that would
 * change the system (packages, services) are planned, not run.
 */
export class Root {
  readonly dir: string;
  readonly live: boolean;
  private mountPoints: string[] = [];
  private bases: Promise<string[]> | null = null;

  constructor(dir = "/") {
    this.dir = path.resolve(dir);
    this.live = this.dir === "/";
  }

  /** Maps an absolute node path (e.g. /etc/chef/dna.json) to the real path under the root. */
  path(nodePath: string): string {
    if (!path.isAbsolute(nodePath)) throw new Error(`not an absolute node path: ${nodePath}`);
    return this.live ? path.normalize(nodePath) : path.join(this.dir, nodePath);
  }

  /** Maps a real path back to the node path (for messages). */
  nodePath(realPath: string): string {
    if (this.live) return realPath;
    const rel = path.relative(this.dir, realPath);
    return "/" + rel;
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

  /**
   * The real path of `nodePath`, once it is known to stay inside the root: every component is
   * resolved as the kernel would (links included, dangling ones too) and the result must lie under
   * the root or a mount point's directory. `followLeaf: false` for operations that replace the
   * last component itself (rename over it, unlink it), which never follow a link there.
   * On the live node (`/`) links are followed as the administrator set them up.
   */
  async confined(nodePath: string, o: { followLeaf?: boolean; action?: string } = {}): Promise<string> {
    const real = this.path(nodePath);
    if (this.live) return real;
    const resolved =
      o.followLeaf === false ? path.join(await resolveReal(path.dirname(real)), path.basename(real)) : await resolveReal(real);
    const bases = await this.allowedBases();
    if (bases.some((b) => resolved === b || resolved.startsWith(b + "/"))) return real;
    const link = await this.firstLinkOut(nodePath, bases);
    throw new RuntimeFailure(
      `refusing to ${o.action ?? "write"} ${nodePath} under root ${this.dir}: ${link ?? nodePath} is a link leading outside the root (to ${resolved})`,
      { path: nodePath },
    );
  }

  private allowedBases(): Promise<string[]> {
    this.bases ??= (async () => {
      const inRoot = await fs.realpath(this.dir);
      const bases = [inRoot];
      for (const mp of this.mountPoints) {
        // Only the mount point itself may lead out: a link above it is as hostile as any other.
        const parent = await resolveReal(path.dirname(this.path(mp))).catch(() => null);
        if (parent === null || !(parent === inRoot || parent.startsWith(inRoot + "/"))) continue;
        const real = await resolveReal(this.path(mp)).catch(() => null);
        if (real) bases.push(real);
      }
      return bases;
    })();
    return this.bases;
  }

  /** The first component of `nodePath` that is a link resolving outside `bases`, with its target (for messages). */
  private async firstLinkOut(nodePath: string, bases: string[]): Promise<string | null> {
    const parts = nodePath.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = "/" + parts.slice(0, i).join("/");
      const target = await fs.readlink(this.path(prefix)).catch(() => null);
      if (target === null) continue;
      const resolved = await resolveReal(this.path(prefix)).catch(() => null);
      if (resolved && !bases.some((b) => resolved === b || resolved.startsWith(b + "/"))) return `${prefix} (→ ${target})`;
    }
    return null;
  }
}

/** Where `p` leads: realpath(3), extended past a missing last part and through dangling links. */
async function resolveReal(p: string, hops = 0): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  if (hops > MAX_LINK_HOPS) throw new RuntimeFailure(`${p}: too many levels of symbolic links`);
  const parent = path.dirname(p);
  const here = path.join(parent === p ? p : await resolveReal(parent, hops + 1), path.basename(p));
  const target = await fs.readlink(here).catch(() => null);
  return target === null ? here : resolveReal(path.resolve(path.dirname(here), target), hops + 1);
}
