// S3 GetObject, path-style (GET /<bucket>/<key>, the form the SDK uses with forcePathStyle), with
// Range requests: what a mirror on S3 needs. Objects live in memory, per endpoint.

export class S3Model {
  readonly objects = new Map<string, Buffer>();

  putObject(bucket: string, key: string, body: Buffer | string): void {
    this.objects.set(`${bucket}/${key}`, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }
}

export interface S3Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  errorCode?: string;
}

export function s3ErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
}

/** GET/HEAD of `/<bucket>/<key>`; `Range: bytes=N-` answers 206 with Content-Range, or 416 past the end. */
export function answerS3(s3: S3Model, method: string, path: string, range: string | undefined, requestId: string): S3Answer {
  const key = decodeURIComponent(path.slice(1));
  const body = s3.objects.get(key);
  const base = { "x-amz-request-id": requestId, "content-type": "application/xml" };
  if (!body) return { status: 404, errorCode: "NoSuchKey", headers: base, body: s3ErrorXml("NoSuchKey", "The specified key does not exist.", requestId) };
  const m = /^bytes=(\d+)-$/.exec(range ?? "");
  const start = m ? Number(m[1]) : 0;
  if (start >= body.length && m) {
    return { status: 416, errorCode: "InvalidRange", headers: base, body: s3ErrorXml("InvalidRange", "The requested range is not satisfiable", requestId) };
  }
  const slice = body.subarray(start);
  const headers: Record<string, string> = {
    "x-amz-request-id": requestId,
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    etag: `"${body.length.toString(16)}"`,
    ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  };
  return { status: m ? 206 : 200, headers, body: method === "HEAD" ? "" : slice };
}
