import { getObject } from "../../artifacts/s3.js";
import { parseChecksums } from "../../artifacts/catalog.js";
import { BadInputError, RuntimeFailure } from "../../errors.js";
import type { Fetchable } from "../../artifacts/fetchable.js";
import type { EngineContext, FetchNeed } from "../types.js";

/** SHA256SUMS manifests read during one apply: each at most once, and only when something must be fetched. */
const manifests = new WeakMap<EngineContext, Map<string, Promise<Map<string, string>>>>();

/**
 * The sha256 a fetchable must hash to: its pin, else its entry in the mirror's SHA256SUMS. One without
 * either is bad input naming the file: nothing is installed that could not be verified.
 */
export async function resolveFetch(f: Fetchable, ctx: EngineContext): Promise<FetchNeed> {
  const need = (sha256: string): FetchNeed => ({ label: f.label, url: f.url, sha256: sha256.toLowerCase(), path: f.path });
  if (typeof f.sha256 === "string") return need(f.sha256);
  const { manifest, entry } = f.sha256;
  const listed = manifest === null ? undefined : (await readManifest(manifest, ctx)).get(entry);
  if (listed === undefined) {
    throw new BadInputError(
      `no sha256 for ${f.label} (${entry}): pin it under checksums: in the site config` +
        (manifest ? ` or list it in ${manifest}` : " or configure a mirror with a SHA256SUMS manifest"),
      { artifact: entry },
    );
  }
  return need(listed);
}

function readManifest(url: string, ctx: EngineContext): Promise<Map<string, string>> {
  let cache = manifests.get(ctx);
  if (!cache) manifests.set(ctx, (cache = new Map()));
  let p = cache.get(url);
  if (!p) cache.set(url, (p = fetchManifest(url)));
  return p;
}

/** A mirror's SHA256SUMS; an absent one (404) lists nothing. */
async function fetchManifest(url: string): Promise<Map<string, string>> {
  let text: string | null;
  try {
    text = await readSmallObject(url);
  } catch (e) {
    throw new RuntimeFailure(`cannot read ${url}: ${(e as Error).message}`);
  }
  if (text === null) return new Map();
  try {
    return parseChecksums(text, url);
  } catch (e) {
    throw new BadInputError((e as Error).message);
  }
}

/** A small text object over HTTP(S) or S3; null when it does not exist. */
async function readSmallObject(url: string): Promise<string | null> {
  const res = await getObject(url, 0, AbortSignal.timeout(30_000));
  if (res.status === 404) return null;
  if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}`);
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}
