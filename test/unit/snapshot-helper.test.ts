import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot, tempDir } from "../helpers/engine.js";

// The "identical tree" assertions of the bad-input and crash suites rest on this helper: a change
// anywhere in a file's content must show, even one that keeps its length and its mtime.
describe("tree snapshot helper", () => {
  it("sees a one-byte change past the first 48 bytes with length and mtime kept", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "f");
    const content = Buffer.alloc(4096, "a");
    await fs.writeFile(file, content);
    const when = new Date("2026-01-01T00:00:00Z");
    await fs.utimes(file, when, when);
    const before = await snapshot(dir);
    content[4000] = "b".charCodeAt(0);
    await fs.writeFile(file, content);
    await fs.utimes(file, when, when);
    expect(await snapshot(dir)).not.toEqual(before);
  });

  it("sees mode, owner, link target and a new file", async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, "f"), "x");
    await fs.symlink("f", path.join(dir, "l"));
    const before = await snapshot(dir);
    await fs.chmod(path.join(dir, "f"), 0o600);
    const afterMode = await snapshot(dir);
    expect(afterMode).not.toEqual(before);
    await fs.chown(path.join(dir, "f"), 1000, 1000);
    expect(await snapshot(dir)).not.toEqual(afterMode);
    await fs.rm(path.join(dir, "l"));
    await fs.symlink("g", path.join(dir, "l"));
    expect((await snapshot(dir))["l"]).toBe("link g");
    await fs.writeFile(path.join(dir, "new"), "");
    expect(Object.keys(await snapshot(dir))).toContain("new");
  });
});
