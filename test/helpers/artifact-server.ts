import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ArtifactFaults {
  /** Answer the next N requests for this path with HTTP 500. */
  errors?: number;
  /** Destroy the socket after this many body bytes, on the next N requests. */
  resetAfterBytes?: number;
  resets?: number;
  /** Send headers, then nothing, on the next N requests. */
  stalls?: number;
  /** Ignore Range headers (answer 200 with the whole body). */
  noRanges?: boolean;
}

export interface ArtifactServer {
  url: string;
  files: Map<string, Buffer>;
  faults: Map<string, ArtifactFaults>;
  /** Every request: path, Range header, status. */
  requests: Array<{ path: string; range: string | null; status: number }>;
  /** Delay before every response. */
  latencyMs: number;
  close(): Promise<void>;
}

/** A loopback HTTP file server with Range support and injectable faults, for download tests. */
export async function startArtifactServer(latencyMs = 0, bytesPerSecond = 0): Promise<ArtifactServer> {
  const files = new Map<string, Buffer>();
  const faults = new Map<string, ArtifactFaults>();
  const requests: ArtifactServer["requests"] = [];
  const sockets = new Set<import("node:net").Socket>();
  const state = { latencyMs };
  const server = http.createServer(async (req, res) => {
    const p = new URL(req.url ?? "/", "http://x").pathname;
    const range = req.headers.range ?? null;
    const record = (status: number) => requests.push({ path: p, range, status });
    if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
    const body = files.get(p);
    const f = faults.get(p) ?? {};
    if (!body) {
      record(404);
      return res.writeHead(404).end("not found");
    }
    if (f.errors) {
      f.errors--;
      record(500);
      return res.writeHead(500).end("boom");
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    if (m && !f.noRanges) {
      start = Number(m[1]);
      if (start >= body.length) {
        record(416);
        return res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      }
    }
    const slice = body.subarray(start);
    const status = start > 0 ? 206 : 200;
    record(status);
    res.writeHead(status, {
      "content-length": String(slice.length),
      "accept-ranges": "bytes",
      ...(status === 206 ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (f.stalls) {
      f.stalls--;
      res.flushHeaders();
      return; // never send the body: the client's stall timeout must fire
    }
    if (f.resets && f.resetAfterBytes !== undefined) {
      f.resets--;
      res.write(slice.subarray(0, f.resetAfterBytes), () => res.socket?.destroy());
      return;
    }
    if (bytesPerSecond > 0) return pace(res, slice, bytesPerSecond);
    res.end(slice);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    files,
    faults,
    requests,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(v: number) {
      state.latencyMs = v;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Sends `body` at about `rate` bytes/s per connection, as a real link or an S3 connection would. */
async function pace(res: http.ServerResponse, body: Buffer, rate: number): Promise<void> {
  const chunk = 64 * 1024;
  const t0 = Date.now();
  for (let off = 0; off < body.length && !res.destroyed; off += chunk) {
    if (!res.write(body.subarray(off, off + chunk))) await new Promise((r) => res.once("drain", r));
    const ahead = (off + chunk) / rate * 1000 - (Date.now() - t0);
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
  res.end();
}
