import { BadInputError, RuntimeFailure } from "../errors.js";

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Url(url: string): S3Location | null {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(url);
  return m ? { bucket: m[1]!, key: m[2]! } : null;
}

/** What reads an object; the real one talks to S3, tests pass their own. */
export type S3Reader = (loc: S3Location, region: string, maxBytes?: number) => Promise<string | Uint8Array>;

/** The S3 client is loaded only here, on first use: `--help` and local files never pay for the SDK. */
export const readS3Object: S3Reader = async (loc, region, maxBytes = 1024 * 1024) => {
  const { S3Client, GetObjectCommand } = await import("@aws-sdk/client-s3");
  const client = new S3Client({
    region,
    followRegionRedirects: true,
    maxAttempts: 4,
    // Without throwOnRequestTimeout this SDK only logs a warning when requestTimeout passes.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  });
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    if (!out.Body) throw new RuntimeFailure(`s3://${loc.bucket}/${loc.key}: empty response body`);
    if ((out.ContentLength ?? 0) > maxBytes) throw new BadInputError(`--site s3://${loc.bucket}/${loc.key}: ${out.ContentLength} bytes; a site file is at most ${maxBytes}`);
    const bytes = await out.Body.transformToByteArray();
    if (bytes.length > maxBytes) throw new BadInputError(`--site s3://${loc.bucket}/${loc.key}: more than ${maxBytes} bytes; a site file is at most that`);
    return bytes;
  } finally {
    client.destroy();
  }
};

/** S3 errors in the words an operator needs: which object, what S3 said, what to do. */
export function s3Failure(url: string, e: unknown): Error {
  if (e instanceof BadInputError || e instanceof RuntimeFailure) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? "Error";
  if (name === "NoSuchKey" || name === "NotFound" || err.$metadata?.httpStatusCode === 404) {
    return new BadInputError(`--site ${url}: no such object (${name})`);
  }
  if (name === "NoSuchBucket") return new BadInputError(`--site ${url}: no such bucket`);
  if (name === "AccessDenied" || err.$metadata?.httpStatusCode === 403) {
    return new RuntimeFailure(`--site ${url}: access denied: the node's IAM role needs s3:GetObject on this object`);
  }
  return new RuntimeFailure(`--site ${url}: could not read from S3 (${name}: ${err.message ?? "no message"})`);
}
