// The field validators every site section uses: one per kind of value, so two sections never disagree
// on what a path or a URL is. Named zod imports keep the bundle small (see schema.ts). Every message
// starts with what was expected.
import { number, string, type ZodType } from "zod";
import { isSystemDirectory, MAX_PATH_LENGTH } from "./limits.js";

export const expected = (what: string) => ({ error: `expected ${what}` });

/** Values end up in Workbench's `key=value` files: single-line and trimmed. */
export const singleLine = (what = "a non-empty single-line string") =>
  string(expected(what))
    .min(1, expected(what))
    .refine((s) => !/[\r\n\0]/.test(s) && s.trim() === s, expected(`${what} without line breaks or surrounding spaces`));

/**
 * An absolute node path. No whitespace or commas (these paths end up in comma lists and argv), no quotes
 * or '=' (nor in `key=value` files), no '..' (a path means what it says) and no trailing '/'.
 */
export const absolutePath = string(expected("an absolute path"))
  .max(MAX_PATH_LENGTH, expected(`an absolute path of at most ${MAX_PATH_LENGTH} characters`))
  .refine(
    (p) => p.startsWith("/") && !/[\s\0,"'=]/.test(p) && (p === "/" || !p.endsWith("/")) && !p.split("/").includes(".."),
    expected("an absolute path (starting with /, no spaces, commas, quotes, '=', '..' or trailing /)"),
  )
  .refine((p) => p.split("/").every((part) => part.length <= 255), expected("path components of at most 255 characters"));

/**
 * A directory the agent writes into or shares (storage, image directories): never / or a
 * directory the operating system owns, where Workbench's files would mix with the system's.
 */
export const ownDirectory = absolutePath.refine(
  (p) => !isSystemDirectory(p),
  expected("a directory of its own: not /, a system directory (/etc, /usr, /var, …) or anything under /proc, /sys, /dev, /run, /boot"),
);

export const port = number(expected("a port number")).int(expected("an integer port")).min(1, expected("a port from 1 to 65535")).max(65535, expected("a port from 1 to 65535"));

export const name = (what: string, pattern: RegExp, max = 64) =>
  string(expected(what)).max(max, expected(`${what} of at most ${max} characters`)).regex(pattern, expected(what));

/** Names of Slurm partitions and launcher clusters: they appear in file names and comma lists. */
export const slurmName = name("a name of letters, digits, '-' or '_' (starting with a letter)", /^[A-Za-z][A-Za-z0-9_-]*$/, 40);
export const posixName = name("a user or group name", /^[a-z_][a-z0-9_.-]*\$?$/, 32);

/** Lower-cased, so comparisons with computed digests are exact. */
export const sha256Hex = string(expected("a sha256 (64 hex digits)")).regex(/^[0-9a-fA-F]{64}$/, expected("a sha256 (64 hex digits)")).toLowerCase();

/** A plain file name (no directory part). */
export const fileName = string(expected("a file name")).regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, expected("a file name of letters, digits, '.', '_', '+' or '-'"));

const S3_BUCKET = "s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";
const S3_URL = { key: new RegExp(`^${S3_BUCKET}/\\S+$`), prefix: new RegExp(`^${S3_BUCKET}(/\\S*)?$`) };

/**
 * The one URL check behind every URL field: http(s) or, where `s3` allows it, s3://bucket[/key];
 * never a fragment or whitespace; a query only where `query` allows it (a download link may be signed).
 */
function isUrl(u: string, allow: { query: boolean; s3?: keyof typeof S3_URL }): boolean {
  if (allow.s3 && S3_URL[allow.s3].test(u)) return true;
  try {
    const url = new URL(u);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" && (allow.query || url.search === "") && !/\s/.test(u);
  } catch {
    return false;
  }
}

const url = (what: string, allow: Parameters<typeof isUrl>[1], example: string) =>
  string(expected(what)).refine((u) => isUrl(u, allow), expected(`${what}, e.g. ${example}`));

/** An address people and load balancers use (workbench.url): nothing after the path. */
export const webAddress = url("an http(s) URL without query or fragment", { query: false }, "https://workbench.example.com");

/** A file or repository the agent downloads over http(s). */
export const downloadUrl = url("an http(s) URL", { query: true }, "https://developer.download.nvidia.com/compute/cuda/repos/rhel9/x86_64/");

/** Where the agent itself fetches an artifact from: http(s), or s3://bucket/key read with the node's instance role. */
export const artifactUrl = url("an https:// or s3://bucket/key URL", { query: true, s3: "key" }, "https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/v3.2.0.tar.gz");

/** A mirror's base URL: artifact paths are appended to it, so no query. */
export const mirrorUrl = url("an s3://bucket/prefix or https:// URL", { query: false, s3: "prefix" }, "s3://pwb-artifacts/mirror");

/** An optional section or field: absent in the file is null in the resolved site (an explicit null stays an error). */
export const absentAsNull = <T extends ZodType>(section: T) => section.optional().transform((v) => v ?? null);

/** A whole number in [lo, hi] (seconds, counts): the message says the range. */
export const wholeNumber = (lo: number, hi: number) => {
  const what = expected(`a whole number from ${lo} to ${hi}`);
  return number(what).int(what).min(lo, what).max(hi, what);
};

// ---- AWS values (the Workbench ALB). The site's `alb:` section and `alb ensure`'s flags both check
// ---- through these, so a value is refused alike, with the same words, wherever it was given.

/** `vpc-…`, `subnet-…`, `sg-…`: the prefix and hex digits (8 in old accounts, 17 now). */
export const awsId = (prefix: string, what: string) =>
  name(`${what} like ${prefix}-0123456789abcdef0`, new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), prefix.length + 18);

/** ELBv2 load balancer and target group names: 1–32 letters, digits or '-', no '-' at either end, never `internal-…`. */
export const elbName = (what: string) =>
  name(`${what} (1-32 letters, digits or '-', not starting or ending with '-', not starting with "internal-")`, /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 32);

/**
 * The HTTPS listener's certificate: ELBv2 takes a certificate from ACM or an IAM server certificate
 * (the way in for keys ACM cannot deploy to a load balancer, e.g. RSA 4096), any partition.
 */
export const certificateArn = name(
  "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>) or an IAM server certificate ARN (arn:aws:iam::<account>:server-certificate/<name>)",
  /^arn:aws(?:-[a-z]+)*:(?:acm:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:certificate\/[A-Za-z0-9-]+|iam::\d{12}:server-certificate\/[\w+=,.@/-]+)$/,
  2048,
);

/** Four decimal octets 0–255 (no leading zeros: `010` reads as octal to some tools) and a prefix 0–32. */
export function isIpv4Cidr(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return false;
  const parts = m.slice(1);
  const decimal = (p: string) => p === "0" || !p.startsWith("0");
  return parts.every(decimal) && parts.slice(0, 4).every((o) => Number(o) <= 255) && Number(parts[4]) <= 32;
}

export const ipv4Cidr = string(expected("an IPv4 CIDR block like 10.0.0.0/16 (four numbers 0-255, a prefix 0-32)")).refine(
  isIpv4Cidr,
  expected("an IPv4 CIDR block like 10.0.0.0/16 (four numbers 0-255, a prefix 0-32)"),
);

/** Route 53 hosted zone ids are `Z` and up to 31 capital letters or digits (not the `/hostedzone/…` path form). */
export const hostedZoneId = name("a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ", /^Z[A-Z0-9]{1,31}$/, 32);

/** A DNS name of labels (letters, digits, inner '-', at most 63 each), at most 253 characters, a trailing dot allowed. */
export const dnsName = name(
  "a DNS name like workbench.example.com",
  /^(?=.{1,253}\.?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/,
  254,
);
