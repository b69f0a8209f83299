// The run log: many writers at once append whole lines (one O_APPEND write each), it rotates past
// its size, and a FIFO planted where it goes fails the append instead of blocking it.
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_APPEND_LINE_BYTES } from "../../agent/nodefs/files.js";
import { Root } from "../../agent/nodefs/root.js";
import { appendRunLog, RUN_LOG_MAX_BYTES, RUN_LOG_PATH } from "../../agent/metrics/run-log.js";

const dirs: string[] = [];
async function tempRoot(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-runlog-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe("run log appends", () => {
  it("40 concurrent appends of 200 KB lines: every line whole, none interleaved", async () => {
    const dir = await tempRoot();
    const root = new Root(dir);
    // libuv runs these writes on several threads at once: real concurrent write(2) calls.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        root.appendLine("/var/log/x.jsonl", JSON.stringify({ i, pad: String.fromCharCode(97 + (i % 26)).repeat(200_000) }), { mode: 0o640 }),
      ),
    );
    const text = await fs.readFile(path.join(dir, "/var/log/x.jsonl"), "utf8");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(40);
    const seen = lines.map((l) => JSON.parse(l) as { i: number; pad: string });
    for (const { i, pad } of seen) expect(pad).toBe(String.fromCharCode(97 + (i % 26)).repeat(200_000));
    expect(seen.map((s) => s.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect((await fs.stat(path.join(dir, "/var/log/x.jsonl"))).mode & 0o777).toBe(0o640);
  });

  it("refuses a line over the cap and one holding a newline, writing nothing", async () => {
    const root = new Root(await tempRoot());
    await expect(root.appendLine("/l", "x".repeat(MAX_APPEND_LINE_BYTES), { mode: 0o640 })).rejects.toThrow(/more than the 1048576 one append may write/);
    await expect(root.appendLine("/l", "a\nb", { mode: 0o640 })).rejects.toThrow(/newline/);
    expect(await root.exists("/l")).toBe(false);
  });

  it("a FIFO where the log goes: the append fails at once (no reader to block on)", async () => {
    const dir = await tempRoot();
    await fs.mkdir(path.join(dir, "/var/log/pwb-agent"), { recursive: true });
    execFileSync("mkfifo", [path.join(dir, RUN_LOG_PATH)]);
    const entry = { command: "apply" as const, role: "head", success: true, durationMs: 1, items: [] };
    await expect(appendRunLog(new Root(dir), entry)).rejects.toThrow(/ENXIO|expected a regular file/);
  });

  it("rotates to runs.jsonl.1 past its size, then starts a new file", async () => {
    const dir = await tempRoot();
    const real = path.join(dir, RUN_LOG_PATH);
    await fs.mkdir(path.dirname(real), { recursive: true });
    await fs.writeFile(real, "x".repeat(RUN_LOG_MAX_BYTES + 1));
    await appendRunLog(new Root(dir), { command: "doctor", role: "login", success: false, durationMs: 2, items: ["a"] }, 0);
    expect((await fs.stat(`${real}.1`)).size).toBe(RUN_LOG_MAX_BYTES + 1);
    expect(JSON.parse(await fs.readFile(real, "utf8"))).toMatchObject({ time: "1970-01-01T00:00:00.000Z", command: "doctor", items: ["a"] });
  });
});
