// One way into the node: outside agent/nodefs/ no code maps a node path to a real one itself (the
// old unchecked Root.path(), a root directory joined to a path, or the confinement called by hand).
// It goes through Root's methods, or asks for a real path with the visible, confined realPathFor.
// The checker is proven on bad code first.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const RAW_ROOT_PATH: Array<[RegExp, string]> = [
  [/\broot\.path\(/, "Root.path() (unchecked; use a Root method or realPathFor)"],
  [/\.confined\(/, "confined() by hand (use a Root method or realPathFor)"],
  [/\bpath(?:\.posix)?\.(?:join|resolve)\([^)]*\broot\.dir\b/, "a path joined to root.dir"],
  [/\$\{[^}]*\broot\.dir\}\//, "a path built on root.dir in a template"],
  [/\broot\.dir\s*\+/, "a path concatenated to root.dir"],
];

/** Each line of `source` that builds a real node path outside the confined API, with why. */
function rawRootPaths(file: string, source: string): string[] {
  const found: string[] = [];
  source.split("\n").forEach((line, i) => {
    if (/^\s*(\/\/|\*)/.test(line)) return; // comments may name the old call
    for (const [re, why] of RAW_ROOT_PATH) if (re.test(line)) found.push(`${file}:${i + 1}: ${why}`);
  });
  return found;
}

function agentFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return p === path.join("agent", "nodefs") ? [] : agentFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

describe("no raw root paths outside agent/nodefs/", () => {
  it("the checker finds each way of building one", () => {
    const bad = [
      "const a = root.path(\"/etc/x\");",
      "const b = await ctx.root.confined(p, { followLeaf: false });",
      "const c = path.join(root.dir, p);",
      "const d = path.posix.resolve(ctx.root.dir, \"etc\");",
      "const e = `${o.root.dir}/etc/x`;",
      "const f = root.dir + \"/etc\";",
    ];
    expect(bad.map((l) => rawRootPaths("x.ts", l).length)).toEqual([1, 1, 1, 1, 1, 1]);
    // The root itself as a tool's argument is no node path; neither is a comment.
    expect(rawRootPaths("x.ts", "[\"dpkg\", `--root=${root.dir}`, \"--install\"]\n// root.path() was unchecked")).toEqual([]);
  });

  it("agent/ has none outside agent/nodefs/", () => {
    const files = agentFiles("agent");
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => rawRootPaths(f, readFileSync(f, "utf8")))).toEqual([]);
  });
});
