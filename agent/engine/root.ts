import path from "node:path";

/**
 * The filesystem seam: every absolute node path goes through here. `/` is the live node;
 * anything else is a simulated node (tests, the demo, `--root`), where commands that would
 * change the system (packages, services) are planned, not run.
 */
export class Root {
  readonly dir: string;
  readonly live: boolean;

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
}
