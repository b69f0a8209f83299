// Field validators shared by the container/GPU site sections. Named zod imports keep the bundle small
// (see schema.ts). Every message starts with what was expected, like the rest of the site schema.
import { string } from "zod";

export const expected = (what: string) => ({ error: `expected ${what}` });

/** An absolute node path: no spaces or commas (these paths end up in comma lists and argv). */
export const nodePath = string(expected("an absolute path")).max(4096, expected("an absolute path of at most 4096 characters")).refine(
  (p) => p.startsWith("/") && !/[\r\n\0\s,"'=]/.test(p) && (p === "/" || !p.endsWith("/")) && !p.split("/").includes(".."),
  expected("an absolute path (starting with /, no spaces, commas, quotes, '=', '..' or trailing /)"),
);

export const sha256Hex = string(expected("a sha256 (64 hex digits)")).regex(/^[0-9a-fA-F]{64}$/, expected("a sha256 (64 hex digits)"));

/** A plain file name (no directory part). */
export const fileName = string(expected("a file name")).regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, expected("a file name of letters, digits, '.', '_', '+' or '-'"));

export const httpUrl = string(expected("an http(s) URL")).refine((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" && !/\s/.test(u);
  } catch {
    return false;
  }
}, expected("an http(s) URL, e.g. https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/v3.2.0.tar.gz"));

/** Where the agent itself fetches an artifact from: http(s), or s3://bucket/key read with the node's instance role. */
export const artifactUrl = string(expected("an https:// or s3:// URL")).refine((u) => {
  if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+$/.test(u)) return true;
  try {
    const url = new URL(u);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" && !/\s/.test(u);
  } catch {
    return false;
  }
}, expected("an https:// or s3://bucket/key URL, e.g. https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/v3.2.0.tar.gz"));

/** A mirror base URL as the components use it: no trailing slash. */
export function mirrorBase(url: string): string {
  return url.replace(/\/+$/, "");
}
