// Bundled and run by bench/artifacts.mjs. 8 artifacts of 20 MB from a loopback server in its own
// process that adds 100 ms to every response and serves each connection at 40 MB/s (what one
// HTTP/S3 connection gets in practice); the download phase sequential (concurrency 1) vs the
// default concurrency, then a cached re-run that must download nothing.
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_CONCURRENCY, fetchAll } from "../../agent/artifacts/index.js";
import { silentLogger } from "../../agent/log.js";
import { startArtifactServer } from "../../test/helpers/artifact-server.js";

const COUNT = 8;
const SIZE = 20 * 1024 * 1024;
const LATENCY_MS = 100;
const RATE = 40 * 1024 * 1024;

/** Deterministic content, so the server process and the client agree on the hashes. */
function body(i: number): Buffer {
  const b = Buffer.alloc(SIZE);
  for (let off = 0; off < SIZE; off += 32) createHash("sha256").update(`${i}:${off}`).digest().copy(b, off);
  return b;
}

async function serve(): Promise<void> {
  const srv = await startArtifactServer(LATENCY_MS, RATE);
  for (let i = 0; i < COUNT; i++) srv.files.set(`/a/${i}.bin`, body(i));
  process.send?.({ url: srv.url });
  process.on("disconnect", () => void srv.close().then(() => process.exit(0)));
}

async function bench(): Promise<void> {
  const server = fork(__filename, ["serve"], { stdio: "inherit" });
  const url = await new Promise<string>((r) => server.once("message", (m: { url: string }) => r(m.url)));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-bench-artifacts-"));
  try {
    const sums = Array.from({ length: COUNT }, (_, i) => createHash("sha256").update(body(i)).digest("hex"));
    const targets = (run: string) =>
      sums.map((sha256, i) => ({ name: `artifact-${i}`, url: `${url}/a/${i}.bin`, sha256, dest: path.join(dir, run, `${i}.bin`) }));
    const log = silentLogger();
    const sequential = await fetchAll(targets("seq"), { log, concurrency: 1 });
    const parallel = await fetchAll(targets("par"), { log });
    const cached = await fetchAll(targets("par"), { log });
    const cachedDownloads = Object.values(cached.outcomes).filter((o) => o !== "cached").length;
    const result = {
      bench: "artifacts",
      artifacts: COUNT,
      sizeMiB: SIZE / 1024 / 1024,
      latencyMs: LATENCY_MS,
      perConnectionMiBps: RATE / 1024 / 1024,
      concurrency: DEFAULT_CONCURRENCY,
      sequentialMs: sequential.durationMs,
      parallelMs: parallel.durationMs,
      parallelSpeedup: Math.round((sequential.durationMs / parallel.durationMs) * 100) / 100,
      cachedRerunMs: cached.durationMs,
      cachedDownloads,
    };
    console.log(`sequential download phase   ${result.sequentialMs} ms`);
    console.log(`parallel (${DEFAULT_CONCURRENCY} at a time)      ${result.parallelMs} ms = ${result.parallelSpeedup}x faster (goal >= 4x)`);
    console.log(`cached re-run               ${result.cachedRerunMs} ms, ${cachedDownloads} downloads`);
    console.log(JSON.stringify(result));
    if (cachedDownloads) process.exitCode = 1;
  } finally {
    server.disconnect();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void (process.argv[2] === "serve" ? serve() : bench());
