// Every way into the node's files confines its path first: through a link that leads out of a
// simulated root, each of Root's methods refuses and leaves the outside untouched. The table must
// name every public method, so a method added without a row fails here before it can skip the check.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Root } from "../../agent/nodefs/root.js";

type Call = (root: Root, p: (rel: string) => string) => Promise<unknown>;

/**
 * One row per method: `p(rel)` is a node path through the link under test. Each call would read or
 * change something there if it followed the link: `outside/` holds a file `f`, a link `l` and a dir `d`.
 */
const CALLS: Record<string, Call> = {
  readBytes: (r, p) => r.readBytes(p("f")),
  readText: (r, p) => r.readText(p("f")),
  readHead: (r, p) => r.readHead(p("f"), 4),
  readdir: (r, p) => r.readdir(p("d")),
  stat: (r, p) => r.stat(p("f")),
  lstat: (r, p) => r.lstat(p("f")),
  readlink: (r, p) => r.readlink(p("l")),
  exists: (r, p) => r.exists(p("f")),
  writeAtomic: (r, p) => r.writeAtomic(p("f"), "x", { mode: 0o644 }),
  writeNew: (r, p) => r.writeNew(p("new"), "x", { mode: 0o644 }),
  staleTemps: (r, p) => r.staleTemps(p("f")),
  removeStaleTemps: (r, p) => r.removeStaleTemps(p("f")),
  symlink: (r, p) => r.symlink("/x", p("l")),
  appendLine: (r, p) => r.appendLine(p("f"), "x", { mode: 0o644 }),
  mkdirp: (r, p) => r.mkdirp(p("d/sub")),
  chmod: (r, p) => r.chmod(p("f"), 0o600),
  chown: (r, p) => r.chown(p("f"), 0, 0),
  rename: (r, p) => r.rename(p("f"), p("g")),
  syncDir: (r, p) => r.syncDir(p("d")),
  remove: (r, p) => r.remove(p("f")),
  removeEmptyDir: (r, p) => r.removeEmptyDir(p("d")),
  realPathFor: (r, p) => r.realPathFor(p("f"), { action: "read" }),
  lockPath: (r, p) => r.lockPath(p("lock")),
};

/** Methods that take no node path of their own: nothing to confine. */
const NOT_PATH_OPERATIONS = ["constructor", "nodePath", "allowMountLinks"];

/** The second argument of a two-path method, and tmpDir, go through the link too. */
const SECOND_PATHS: Record<string, Call> = {
  "rename (to)": (r, p) => r.rename("/inside/f", p("g")),
  "writeAtomic (tmpDir)": (r, p) => r.writeAtomic("/inside/new", "x", { mode: 0o644, tmpDir: p("d") }),
  "staleTemps (tmpDir)": (r, p) => r.staleTemps("/inside/f", p("d")),
  "removeStaleTemps (tmpDir)": (r, p) => r.removeStaleTemps("/inside/f", p("d")),
};

/** Methods that follow a link at the last component: a leaf link out is refused too. */
const FOLLOWING: Record<string, Call> = {
  readBytes: (r) => r.readBytes("/leaf-f"),
  readText: (r) => r.readText("/leaf-f"),
  readHead: (r) => r.readHead("/leaf-f", 4),
  readdir: (r) => r.readdir("/leaf-d"),
  stat: (r) => r.stat("/leaf-f"),
  appendLine: (r) => r.appendLine("/leaf-f", "x", { mode: 0o644 }),
  chmod: (r) => r.chmod("/leaf-f", 0o600),
  mkdirp: (r) => r.mkdirp("/leaf-d"),
  syncDir: (r) => r.syncDir("/leaf-d"),
  realPathFor: (r) => r.realPathFor("/leaf-f", { action: "read" }),
};

let base: string;
let rootDir: string;
let outside: string;

async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(e.parentPath, e.name);
    const st = await fs.lstat(full);
    const body = st.isFile() ? await fs.readFile(full, "utf8") : st.isSymbolicLink() ? `-> ${await fs.readlink(full)}` : "dir";
    out.push(`${path.relative(dir, full)} ${(st.mode & 0o7777).toString(8)} ${body}`);
  }
  return out.sort();
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-confined-"));
  rootDir = path.join(base, "root");
  outside = path.join(base, "outside");
  await fs.mkdir(path.join(outside, "d"), { recursive: true });
  await fs.writeFile(path.join(outside, "f"), "outside\n", { mode: 0o644 });
  await fs.symlink("/etc", path.join(outside, "l"));
  await fs.mkdir(path.join(rootDir, "inside"), { recursive: true });
  await fs.writeFile(path.join(rootDir, "inside", "f"), "inside\n");
  await fs.symlink(outside, path.join(rootDir, "out")); // a parent link out (absolute)
  await fs.symlink("../../outside", path.join(rootDir, "inside", "rel")); // the same, relative
  await fs.symlink(path.join(outside, "f"), path.join(rootDir, "leaf-f")); // leaf links out
  await fs.symlink(path.join(outside, "d"), path.join(rootDir, "leaf-d"));
});

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe("Root: one confined way into the node", () => {
  it("the table names every method that takes a node path", () => {
    const methods = Object.getOwnPropertyNames(Root.prototype).filter((m) => !NOT_PATH_OPERATIONS.includes(m));
    expect(methods.sort()).toEqual(Object.keys(CALLS).sort());
  });

  const rows = [
    ...Object.entries(CALLS).flatMap(([name, call]) => [
      { name: `${name} through an absolute parent link`, call, link: "/out" },
      { name: `${name} through a relative parent link`, call, link: "/inside/rel" },
    ]),
    ...Object.entries(SECOND_PATHS).map(([name, call]) => ({ name, call, link: "/out" })),
  ];
  it.each(rows)("$name is refused, nothing outside touched", async ({ call, link }) => {
    const root = new Root(rootDir);
    const before = await snapshot(outside);
    const err = await call(root, (rel) => `${link}/${rel}`).then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toMatch(new RegExp(`^refusing to \\w+ ${link}/\\S* under root ${rootDir}: ${link} \\(→ [^)]+\\) is a link leading outside the root`));
    expect(await snapshot(outside)).toEqual(before);
  });

  it.each(Object.entries(FOLLOWING))("%s follows a leaf link, so a leaf link out is refused too", async (_name, call) => {
    const root = new Root(rootDir);
    const before = await snapshot(outside);
    await expect(call(root, (rel) => rel)).rejects.toThrow(/refusing to \w+ \/leaf-[fd] under root .* is a link leading outside the root/);
    expect(await snapshot(outside)).toEqual(before);
  });

  it("links that stay inside, and the site's mount points, are followed", async () => {
    const root = new Root(rootDir);
    await fs.symlink("inside", path.join(rootDir, "alias")).catch(() => undefined);
    expect(await root.readText("/alias/f")).toBe("inside\n");
    root.allowMountLinks(["/out"]);
    expect(await root.readText("/out/f")).toBe("outside\n");
    // Where the mount point leads counts as inside, whatever path reaches it.
    expect(await root.readText("/inside/rel/f")).toBe("outside\n");
  });

  it("on the live root a path maps to itself, nothing resolved", async () => {
    const live = new Root("/");
    expect(await live.realPathFor("/etc/../etc/hostname", { action: "read" })).toBe("/etc/hostname");
    await expect(live.realPathFor("etc/hostname", { action: "read" })).rejects.toThrow(/not an absolute node path/);
  });
});
