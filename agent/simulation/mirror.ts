import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback HTTP mirror serving files from memory, counting what it was asked for. */
export interface LoopbackMirror {
  url: string;
  files: Map<string, Buffer>;
  requests: string[];
  close(): Promise<void>;
}

export async function startLoopbackMirror(files: Map<string, Buffer>): Promise<LoopbackMirror> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(p);
    const body = files.get(p);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
