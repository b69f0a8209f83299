import type { S3Client } from "@aws-sdk/client-s3";

/** What one GET answered, the same for S3 and HTTP: status, length of this body, the body. */
export interface ObjectResponse {
  status: number;
  length: number | null;
  body: AsyncIterable<Uint8Array> | null;
  cancel(): Promise<void>;
}

export function parseS3Url(url: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(url);
  return m ? { bucket: m[1]!, key: m[2]! } : null;
}

let client: Promise<S3Client> | null = null;

/** One client per process, built on first use (the SDK is compiled lazily, see packaging/). */
function s3Client(): Promise<S3Client> {
  client ??= (async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { S3Client } = await import("@aws-sdk/client-s3");
    // An endpoint override (a loopback S3 in tests, a VPC endpoint) wants path-style addressing.
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    return new S3Client({
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      followRegionRedirects: true,
      forcePathStyle: Boolean(endpoint),
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true },
    });
  })();
  return client;
}

/**
 * GetObject from `offset` on (a Range request when > 0), with the node's instance role. An S3
 * error with an HTTP status comes back as that status (404, 416, 403…) for the caller to judge.
 */
export async function getS3Object(url: string, offset: number, signal: AbortSignal): Promise<ObjectResponse> {
  const loc = parseS3Url(url);
  if (!loc) return { status: 400, length: null, body: null, cancel: async () => undefined };
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  try {
    const out = await (await s3Client()).send(
      new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) }),
      { abortSignal: signal },
    );
    const body = (out.Body ?? null) as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | null;
    return {
      status: out.$metadata.httpStatusCode ?? 200,
      length: out.ContentLength ?? null,
      body,
      cancel: async () => body?.destroy?.(),
    };
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status) return { status, length: null, body: null, cancel: async () => undefined };
    throw e;
  }
}

/** A GET of `url` over HTTP(S) or S3, the same shape either way. */
export async function getObject(url: string, offset: number, signal: AbortSignal): Promise<ObjectResponse> {
  if (url.startsWith("s3://")) return getS3Object(url, offset, signal);
  const res = await fetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal });
  const length = Number(res.headers.get("content-length") ?? NaN);
  return {
    status: res.status,
    length: Number.isFinite(length) ? length : null,
    body: res.body as AsyncIterable<Uint8Array> | null,
    cancel: async () => res.body?.cancel(),
  };
}
