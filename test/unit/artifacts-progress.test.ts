import { describe, expect, it } from "vitest";
import { Progress } from "../../agent/artifacts/progress.js";
import { silentLogger } from "../../agent/log.js";

describe("download progress on a terminal", () => {
  it("draws one bar per artifact and redraws the frame in place", () => {
    const frames: string[] = [];
    const tty = { columns: 100, write: (s: string) => frames.push(s) } as unknown as NodeJS.WriteStream;
    const p = new Progress(silentLogger(), tty);
    p.start(["R-4.4.1", "quarto-1.6.39"]);
    p.update("R-4.4.1", 5 * 1024 * 1024, 10 * 1024 * 1024);
    p.stop();
    p.finish("R-4.4.1");
    p.update("quarto-1.6.39", 1024 * 1024, null);
    p.stop();
    expect(frames[0]).toMatch(/^R-4\.4\.1 +\[#{20}\.{20}\]  50% 5\.0\/10\.0 MiB\x1b\[K\nquarto-1\.6\.39 +\[\.{40}\]   0% 0\.0 MiB\x1b\[K\n$/);
    // The second frame first moves the cursor up over the two lines of the first.
    expect(frames[1]!.startsWith("\x1b[2F")).toBe(true);
    expect(frames[1]).toContain("100% 5.0/10.0 MiB");
    expect(frames[1]).toContain("1.0 MiB");
  });
});
