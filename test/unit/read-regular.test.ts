import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRegular as readAsync } from "../../agent/nodefs/files.js";
import { readRegularSync } from "../../agent/nodefs/read-sync.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "read-regular-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: Buffer | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};

const readers = { "through the thread pool": readAsync, "at once (the node's own disks)": async (p: string, o?: { maxBytes?: number; shown?: string }) => readRegularSync(p, o) };

describe.each(Object.entries(readers))("reading a regular file %s", (_, readRegular) => {
  it("returns every byte, whether the file is empty, small or spans several reads", async () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024 + 7, 1).fill(7, 1024 * 1024);
    expect(await readRegular(file("empty", ""))).toEqual(Buffer.alloc(0));
    expect((await readRegular(file("small", "hello\n")))!.toString()).toBe("hello\n");
    expect((await readRegular(file("big", big)))!.equals(big)).toBe(true);
  });

  it("refuses a file over its cap, naming it, and reads one at the cap", async () => {
    await expect(readRegular(file("over", "x".repeat(11)), { maxBytes: 10, shown: "/etc/over" })).rejects.toThrow(/\/etc\/over: 11 bytes, more than the 10/);
    expect((await readRegular(file("at", "x".repeat(10)), { maxBytes: 10 }))!.length).toBe(10);
  });

  it("is null for a missing file and refuses what is not a regular file", async () => {
    expect(await readRegular(path.join(dir, "missing"))).toBeNull();
    await expect(readRegular(dir)).rejects.toThrow(/expected a regular file/);
  });
});
