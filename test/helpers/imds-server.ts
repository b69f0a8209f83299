import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeIdentity {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
}

/** Behaviour knobs; change them on `server.options` between requests. */
export interface FakeImdsOptions {
  identity: FakeIdentity;
  /** Raw identity-document body instead of the JSON of `identity` (to serve garbage). */
  identityBody?: string;
  /** Status for the identity document (e.g. 404); 200 by default. */
  identityStatus?: number;
  /** Milliseconds to wait before answering any request. */
  delayMs?: number;
  /** Never answer (the connection stays open until the client gives up or the server closes). */
  hang?: boolean;
}

export interface FakeImdsRequest {
  method: string;
  path: string;
  status: number;
  ttl?: string;
}

export interface FakeImds {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  options: FakeImdsOptions;
  requests: FakeImdsRequest[];
  /** Number of requests with this method (e.g. count("PUT") for token fetches). */
  count(method: string): number;
  /** Forgets issued tokens, as an IMDS restart or token expiry would. */
  revokeTokens(): void;
  close(): Promise<void>;
}

export const DEFAULT_IDENTITY: FakeIdentity = {
  instanceId: "i-0123456789abcdef0",
  instanceType: "m6i.xlarge",
  region: "eu-west-1",
  availabilityZone: "eu-west-1b",
};

/**
 * A loopback IMDSv2: PUT /latest/api/token (TTL header required, 1..21600) hands out a token;
 * every GET needs a live token (401 otherwise, as real IMDSv2 with HttpTokens=required); unknown
 * paths are 404. Leading `//` is collapsed, as the AWS SDK sends it.
 */
export async function startImdsServer(options: Partial<FakeImdsOptions> = {}): Promise<FakeImds> {
  const opts: FakeImdsOptions = { identity: DEFAULT_IDENTITY, ...options };
  const requests: FakeImdsRequest[] = [];
  const live = new Map<string, number>(); // token → expiry (ms since epoch)

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/+/, "/");
    const entry: FakeImdsRequest = { method: req.method ?? "", path, status: 0 };
    requests.push(entry);
    const send = (status: number, body: string, type = "text/plain") => {
      entry.status = status;
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    const answer = () => {
      if (req.method === "PUT" && path === "/latest/api/token") {
        const ttl = req.headers["x-aws-ec2-metadata-token-ttl-seconds"];
        if (typeof ttl === "string") entry.ttl = ttl;
        const secs = Number(ttl);
        if (typeof ttl !== "string" || !Number.isInteger(secs) || secs < 1 || secs > 21600) return send(400, "Bad Request");
        const token = randomBytes(24).toString("base64url");
        live.set(token, Date.now() + secs * 1000);
        return send(200, token);
      }
      if (req.method !== "GET") return send(405, "Method Not Allowed");
      const token = req.headers["x-aws-ec2-metadata-token"];
      const expiry = typeof token === "string" ? live.get(token) : undefined;
      if (expiry === undefined || expiry < Date.now()) return send(401, "Unauthorized");
      const id = opts.identity;
      if (path === "/latest/dynamic/instance-identity/document") {
        if (opts.identityStatus && opts.identityStatus !== 200) return send(opts.identityStatus, "Not Found");
        const doc = { accountId: "123456789012", architecture: "x86_64", imageId: "ami-0abc", privateIp: "10.0.1.23", ...id };
        return send(200, opts.identityBody ?? JSON.stringify(doc, null, 2), "application/json");
      }
      const meta: Record<string, string> = {
        "/latest/meta-data/instance-id": id.instanceId,
        "/latest/meta-data/instance-type": id.instanceType,
        "/latest/meta-data/placement/region": id.region,
        "/latest/meta-data/placement/availability-zone": id.availabilityZone,
      };
      const value = meta[path];
      return value === undefined ? send(404, "Not Found") : send(200, value);
    };
    // Read the (empty) body first so the answer never races the request.
    req.resume();
    req.on("end", () => {
      if (opts.hang) return;
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    options: opts,
    requests,
    count: (method) => requests.filter((r) => r.method === method).length,
    revokeTokens: () => live.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An endpoint where nothing listens: connections are refused at once. */
export async function closedEndpoint(): Promise<string> {
  const s = await startImdsServer();
  await s.close();
  return s.endpoint;
}
