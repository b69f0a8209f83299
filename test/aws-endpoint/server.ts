// The HTTP side: tells the protocol from the request, logs the call, applies faults, runs the
// action against the model and answers in that protocol's format.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { EC2_ACTIONS } from "./ec2.js";
import { ELBV2_ACTIONS } from "./elbv2.js";
import { AwsApiError } from "./errors.js";
import type { CallInfo, Fault, Faults, Service } from "./faults.js";
import { answerImds } from "./imds.js";
import type { AwsModel } from "./model.js";
import type { ListShaping } from "./paging.js";
import { EC2_VERSION, ELBV2_VERSION, QueryParams, ec2Error, ec2Response, elbv2Error, elbv2Response } from "./protocol.js";
import { SSM_ACTIONS } from "./ssm.js";
import { answerS3, s3ErrorXml } from "./s3.js";
import { signatureProblem } from "./sigv4.js";
import { ROUTE53_PREFIX, route53ErrorXml, route53Request } from "./route53.js";

export interface CallRecord extends CallInfo {
  /** HTTP status of the answer (0 while pending or when the connection was dropped or hung). */
  status: number;
  /** The error code answered, if any. */
  errorCode?: string;
  startedAt: number;
  endedAt?: number;
}

export interface ServerState {
  model: AwsModel;
  faults: Faults;
  calls: CallRecord[];
  /** Added to every AWS API call (not IMDS). */
  latencyMs: number;
}

interface Reply {
  status: number;
  body: string | Buffer;
  headers: Record<string, string>;
  errorCode?: string;
}

const THROTTLE: Record<Service, { code: string; message: string; status: number }> = {
  elbv2: { code: "Throttling", message: "Rate exceeded", status: 400 },
  ec2: { code: "RequestLimitExceeded", message: "Request limit exceeded.", status: 503 },
  ssm: { code: "ThrottlingException", message: "Rate exceeded", status: 400 },
  imds: { code: "Throttled", message: "Too Many Requests", status: 429 },
  s3: { code: "SlowDown", message: "Please reduce your request rate.", status: 503 },
  route53: { code: "Throttling", message: "Rate exceeded", status: 400 },
};

const SERVER_ERROR: Record<Service, { code: string; message: string }> = {
  elbv2: { code: "InternalFailure", message: "The request processing has failed because of an unknown error, exception or failure." },
  ec2: { code: "InternalError", message: "An internal error has occurred" },
  ssm: { code: "InternalServerError", message: "An error occurred on the server side." },
  imds: { code: "InternalError", message: "Internal Server Error" },
  s3: { code: "InternalError", message: "We encountered an internal error. Please try again." },
  route53: { code: "InternalFailure", message: "An internal error occurred." },
};

function errorReply(service: Service, err: AwsApiError, requestId: string): Reply {
  const base = { "x-amzn-RequestId": requestId };
  switch (service) {
    case "elbv2":
      return { status: err.status, errorCode: err.code, headers: { ...base, "content-type": "text/xml" }, body: elbv2Error(err.code, err.message, err.type, requestId) };
    case "ec2":
      return { status: err.status, errorCode: err.code, headers: { ...base, "content-type": "text/xml;charset=UTF-8" }, body: ec2Error(err.code, err.message, requestId) };
    case "ssm":
      return {
        status: err.status,
        errorCode: err.code,
        headers: { ...base, "content-type": "application/x-amz-json-1.1" },
        body: JSON.stringify({ __type: err.code, message: err.message }),
      };
    case "imds":
      return { status: err.status, errorCode: err.code, headers: { "content-type": "text/plain" }, body: err.message };
    case "route53":
      return { status: err.status, errorCode: err.code, headers: { "x-amzn-RequestId": requestId, "content-type": "text/xml" }, body: route53ErrorXml(err.code, err.message, requestId) };
    case "s3":
      return { status: err.status, errorCode: err.code, headers: { "x-amz-request-id": requestId, "content-type": "application/xml" }, body: s3ErrorXml(err.code, err.message, requestId) };
  }
}

interface Parsed {
  service: Service;
  action: string;
  params: Record<string, unknown>;
  run: (shaping: ListShaping) => Reply;
}

/** Works out which API a request is for; null when it is none we speak. */
function parse(state: ServerState, req: http.IncomingMessage, body: string, requestId: string): Parsed | AwsApiError {
  // The SDK's IMDS client joins endpoint and path into `//latest/...`; collapse before parsing,
  // or URL() reads "//latest" as a host.
  const url = new URL((req.url ?? "/").replace(/^\/+/, "/"), "http://endpoint");
  const path = url.pathname;
  const method = req.method ?? "GET";
  const { model } = state;

  if (path.startsWith("/latest/")) {
    return {
      service: "imds",
      action: `${method} ${path}`,
      params: {},
      run: () => {
        const a = answerImds(model, method, path, req.headers);
        return { status: a.status, body: a.body, headers: { "content-type": a.type } };
      },
    };
  }

  // S3, path-style: GET/HEAD /<bucket>/<key> (the Query APIs are POSTs or carry Action=).
  if (path.startsWith(ROUTE53_PREFIX)) {
    const r = route53Request(model.route53, method, url, body);
    if (!r) return new AwsApiError("UnknownOperationException", `No Route 53 operation at ${method} ${path}`, 404);
    return {
      service: "route53",
      action: r.action,
      params: r.params,
      run: () => {
        const a = r.run();
        return { status: a.status, body: a.body, headers: { "content-type": "text/xml", "x-amzn-RequestId": requestId } };
      },
    };
  }

  if ((method === "GET" || method === "HEAD") && /^\/[^/]+\/.+/.test(path) && !url.searchParams.has("Action")) {
    const range = typeof req.headers.range === "string" ? req.headers.range : undefined;
    return {
      service: "s3",
      action: "GetObject",
      params: { Key: path.slice(1), ...(range ? { Range: range } : {}) },
      run: () => answerS3(model.s3, method, path, range, requestId),
    };
  }

  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const [prefix, action = ""] = target.split(".");
    if (prefix !== "AmazonSSM") return new AwsApiError("UnknownOperationException", `Unknown target ${target}`);
    let json: Record<string, unknown>;
    try {
      json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return new AwsApiError("SerializationException", "Could not parse the request body as JSON");
    }
    const handler = SSM_ACTIONS[action];
    return {
      service: "ssm",
      action,
      params: json,
      run: (shaping) => {
        if (!handler) throw new AwsApiError("UnknownOperationException", `The endpoint does not model AmazonSSM.${action}`);
        const out = handler({ body: json, model, ...shaping });
        return { status: 200, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-RequestId": requestId }, body: JSON.stringify(out) };
      },
    };
  }

  const p = QueryParams.parse(method === "GET" ? url.search.slice(1) : body);
  const action = p.get("Action") ?? "";
  const version = p.get("Version");
  const params = p.toObject();
  if (version === ELBV2_VERSION) {
    const handler = ELBV2_ACTIONS[action];
    return {
      service: "elbv2",
      action,
      params,
      run: (shaping) => {
        if (!handler) throw new AwsApiError("InvalidAction", `The action ${action} is not valid for this web service.`);
        const out = handler({ p, model, ...shaping });
        return { status: 200, headers: { "content-type": "text/xml", "x-amzn-RequestId": requestId }, body: elbv2Response(action, out, requestId) };
      },
    };
  }
  if (version === EC2_VERSION) {
    const handler = EC2_ACTIONS[action];
    return {
      service: "ec2",
      action,
      params,
      run: (shaping) => {
        if (!handler) throw new AwsApiError("InvalidAction", `The action ${action} is not valid for this web service.`);
        const out = handler({ p, model, ...shaping });
        return { status: 200, headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-RequestId": requestId }, body: ec2Response(action, out, requestId) };
      },
    };
  }
  return new AwsApiError("InvalidAction", `No API speaks Version=${version ?? "(none)"} here`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function serve(state: ServerState, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const requestId = randomUUID();
    const parsed = parse(state, req, body, requestId);
    if (parsed instanceof AwsApiError) {
      const r = errorReply(typeof req.headers["x-amz-target"] === "string" ? "ssm" : "elbv2", parsed, requestId);
      res.writeHead(r.status, r.headers).end(r.body);
      return;
    }
    const record: CallRecord = { service: parsed.service, action: parsed.action, params: parsed.params, status: 0, startedAt: Date.now() };
    state.calls.push(record);
    const unsigned = signatureProblem(req, parsed.service, state.model.region);
    if (unsigned) {
      const r = errorReply(parsed.service, unsigned, requestId);
      // S3 names the bucket's region, which the SDK's followRegionRedirects retries with.
      if (unsigned.code === "AuthorizationHeaderMalformed" || unsigned.code === "PermanentRedirect") r.headers["x-amz-bucket-region"] = state.model.region;
      Object.assign(record, { status: r.status, errorCode: r.errorCode, endedAt: Date.now() });
      res.writeHead(r.status, r.headers).end(r.body);
      return;
    }

    const faults: Fault[] = state.faults.take(record);
    const delay = (parsed.service === "imds" ? 0 : state.latencyMs) + faults.reduce((ms, f) => ms + (f.kind === "latency" ? f.ms : 0), 0);
    if (delay > 0) await sleep(delay);
    if (faults.some((f) => f.kind === "hang")) return; // the client's timeout ends it

    let reply: Reply;
    const failure = faults.find((f) => f.kind === "throttle" || f.kind === "serverError" || f.kind === "error");
    if (failure?.kind === "throttle") {
      const t = THROTTLE[parsed.service];
      reply = errorReply(parsed.service, new AwsApiError(t.code, t.message, t.status), requestId);
    } else if (failure?.kind === "serverError") {
      const e = SERVER_ERROR[parsed.service];
      reply = errorReply(parsed.service, new AwsApiError(failure.status === 503 ? "ServiceUnavailable" : e.code, e.message, failure.status), requestId);
    } else if (failure?.kind === "error") {
      reply = errorReply(parsed.service, new AwsApiError(failure.code, failure.message, failure.status), requestId);
    } else {
      const pageSize = faults.reduce<number | undefined>((n, f) => (f.kind === "pageSize" ? Math.min(n ?? Infinity, f.size) : n), undefined);
      const shaping: ListShaping = {
        empty: faults.some((f) => f.kind === "empty"),
        ...(pageSize !== undefined ? { pageSize } : {}),
        ...(faults.some((f) => f.kind === "shortLastPage") ? { shortLastPage: true } : {}),
      };
      try {
        reply = parsed.run(shaping);
      } catch (e) {
        const err = e instanceof AwsApiError ? e : new AwsApiError("InternalFailure", String((e as Error)?.stack ?? e), 500);
        reply = errorReply(parsed.service, err, requestId);
      }
    }
    if (faults.some((f) => f.kind === "dropResponse")) {
      // The action has run; the client sees a reset connection and cannot know it succeeded.
      record.endedAt = Date.now();
      req.socket.destroy();
      return;
    }
    record.status = reply.status;
    if (reply.errorCode) record.errorCode = reply.errorCode;
    record.endedAt = Date.now();
    res.writeHead(reply.status, { ...reply.headers, "content-length": String(Buffer.byteLength(reply.body)) }).end(reply.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
