import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchAll } from "../../agent/artifacts/index.js";
import { fetchFile, type FetchPolicy } from "../../agent/artifacts/fetch.js";
import { createLogger, silentLogger } from "../../agent/log.js";
import { startArtifactServer, type ArtifactServer } from "../helpers/artifact-server.js";
import { tempDir } from "../helpers/engine.js";

const FAST: FetchPolicy = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, stallTimeoutMs: 300 };
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("artifact downloads", () => {
  let srv: ArtifactServer;
  const body = randomBytes(3 * 1024 * 1024);
  beforeAll(async () => {
    srv = await startArtifactServer();
    srv.files.set("/r/R-4.4.1.deb", body);
  });
  afterAll(() => srv.close());

  const target = (dir: string, over: Partial<{ url: string; sha256: string }> = {}) => ({
    name: "R-4.4.1",
    url: `${srv.url}/r/R-4.4.1.deb`,
    sha256: sha(body),
    dest: path.join(dir, "cache/R-4.4.1.deb"),
    ...over,
  });

  it("downloads and verifies, then a re-run is a cache hit with no request", async () => {
    const dir = await tempDir();
    srv.requests.length = 0;
    expect(await fetchFile(target(dir), silentLogger(), FAST)).toBe("downloaded");
    expect(await fs.readFile(path.join(dir, "cache/R-4.4.1.deb"))).toEqual(body);
    expect(await fetchFile(target(dir), silentLogger(), FAST)).toBe("cached");
    expect(srv.requests).toHaveLength(1);
  });

  it("resumes after a connection reset mid-file with a Range request", async () => {
    const dir = await tempDir();
    srv.requests.length = 0;
    srv.faults.set("/r/R-4.4.1.deb", { resetAfterBytes: 1024 * 1024, resets: 1 });
    expect(await fetchFile(target(dir), silentLogger(), FAST)).toBe("resumed");
    expect(sha(await fs.readFile(path.join(dir, "cache/R-4.4.1.deb")))).toBe(sha(body));
    expect(srv.requests.map((r) => r.status)).toEqual([200, 206]);
    expect(srv.requests[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(srv.requests[1]!.range!)![0])).toBeGreaterThan(0);
    srv.faults.delete("/r/R-4.4.1.deb");
  });

  it("starts over when the server ignores Range", async () => {
    const dir = await tempDir();
    srv.faults.set("/r/R-4.4.1.deb", { resetAfterBytes: 512 * 1024, resets: 1, noRanges: true });
    expect(await fetchFile(target(dir), silentLogger(), FAST)).toBe("downloaded");
    expect(sha(await fs.readFile(path.join(dir, "cache/R-4.4.1.deb")))).toBe(sha(body));
    srv.faults.delete("/r/R-4.4.1.deb");
  });

  it("retries 5xx with backoff and logs each retry once", async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    srv.faults.set("/r/R-4.4.1.deb", { errors: 2 });
    expect(await fetchFile(target(dir), createLogger({ sink: (l) => lines.push(l) }), FAST)).toBe("downloaded");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["download attempt failed; retrying", "download attempt failed; retrying"]);
    srv.faults.delete("/r/R-4.4.1.deb");
  });

  it("gives up on a stalled server after its attempts, with the reason", async () => {
    const dir = await tempDir();
    srv.faults.set("/r/R-4.4.1.deb", { stalls: 10 });
    const t0 = Date.now();
    await expect(fetchFile(target(dir), silentLogger(), { ...FAST, attempts: 2 })).rejects.toThrow(
      /failed after 2 attempt\(s\): no data for 300 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    srv.faults.delete("/r/R-4.4.1.deb");
  });

  it("does not retry a 404", async () => {
    const dir = await tempDir();
    srv.requests.length = 0;
    await expect(fetchFile(target(dir, { url: `${srv.url}/r/nope.deb` }), silentLogger(), FAST)).rejects.toThrow(
      /failed after 1 attempt\(s\): HTTP 404/,
    );
    expect(srv.requests).toHaveLength(1);
    await expect(fs.readdir(path.join(dir, "cache"))).resolves.toEqual([]);
  });

  it("refuses a tampered artifact and leaves neither the file nor a partial", async () => {
    const dir = await tempDir();
    const tampered = Buffer.from(body);
    tampered[12345] = tampered[12345]! ^ 0xff;
    srv.files.set("/r/tampered.deb", tampered);
    await expect(fetchFile(target(dir, { url: `${srv.url}/r/tampered.deb` }), silentLogger(), FAST)).rejects.toThrow(
      /sha256 mismatch for R-4\.4\.1 .* nothing installed/,
    );
    expect(await fs.readdir(path.join(dir, "cache"))).toEqual([]);
  });

  it("replaces a corrupted cached file", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "cache"), { recursive: true });
    await fs.writeFile(path.join(dir, "cache/R-4.4.1.deb"), "garbage");
    expect(await fetchFile(target(dir), silentLogger(), FAST)).toBe("downloaded");
    expect(sha(await fs.readFile(path.join(dir, "cache/R-4.4.1.deb")))).toBe(sha(body));
  });

  it("fetches many in parallel, reports each outcome, and logs periodic progress without a terminal", async () => {
    const dir = await tempDir();
    const targets = Array.from({ length: 6 }, (_, i) => {
      const b = randomBytes(256 * 1024 + i);
      srv.files.set(`/many/${i}.bin`, b);
      return { name: `a${i}`, url: `${srv.url}/many/${i}.bin`, sha256: sha(b), dest: path.join(dir, `cache/${i}.bin`) };
    });
    const lines: string[] = [];
    const first = await fetchAll(targets, { log: createLogger({ sink: (l) => lines.push(l) }), concurrency: 3 });
    expect(Object.values(first.outcomes)).toEqual(Array(6).fill("downloaded"));
    expect(lines.filter((l) => JSON.parse(l).msg === "artifact fetched")).toHaveLength(6);
    const progress = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "download progress");
    expect(progress.at(-1)).toMatchObject({ done: 6, artifacts: 6 });
    const again = await fetchAll(targets, { log: silentLogger(), concurrency: 3 });
    expect(Object.values(again.outcomes)).toEqual(Array(6).fill("cached"));
  });
});
