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
