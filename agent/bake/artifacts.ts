import path from "node:path";
import { artifactFor, artifactUrl, parseChecksums, UnsupportedArtifact, type ArtifactKind, type ArtifactSpec } from "../components/runtimes/catalog.js";
import { getObject } from "../artifacts/s3.js";
import { BadInputError, RuntimeFailure } from "../errors.js";
import type { OsFacts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";

/** Where downloads are kept between bakes (under the root): a re-bake hashes them, fetches nothing. */
export const CACHE_DIR = "/var/cache/pwb-agent/artifacts";

/** One artifact bake wants on the node: what it is, where it comes from, what it must hash to. */
export interface BakeArtifact {
  spec: ArtifactSpec;
  url: string;
  /** Node path of the cached file. */
  cachePath: string;
}

/** Every artifact the site asks for on this OS, runtimes first, Workbench last. */
export function wantedArtifacts(site: SiteConfig, os: OsFacts): BakeArtifact[] {
  const base = mirrorBase(site);
  const wanted: Array<[ArtifactKind, string]> = [
    ...site.runtimes.r.versions.map((v) => ["r", v] as [ArtifactKind, string]),
    ...site.runtimes.python.versions.map((v) => ["python", v] as [ArtifactKind, string]),
    ...site.runtimes.quarto.versions.map((v) => ["quarto", v] as [ArtifactKind, string]),
    ["workbench", site.workbench.version],
  ];
  return wanted.map(([kind, version]) => {
    let spec: ArtifactSpec;
    try {
      spec = artifactFor(kind, version, os);
    } catch (e) {
      if (e instanceof UnsupportedArtifact) throw new BadInputError(e.message);
      throw e;
    }
    // Keyed by mirror path, so two kinds can never collide on a file name in the cache.
    return { spec, url: artifactUrl(spec, base), cachePath: path.posix.join(CACHE_DIR, spec.mirrorPath) };
  });
}

/** The mirror's base URL (https:// or s3://, fetched with the node's instance role), or null. */
function mirrorBase(site: SiteConfig): string | null {
  const url = site.mirror?.url ?? null;
  return url ? url.replace(/\/+$/, "") : null;
}

/**
 * sha256 for each artifact: the site's pin, else the mirror's SHA256SUMS. One without either is
 * bad input (exit 2) naming the artifact: bake never installs something it could not verify.
 */
export async function checksumsFor(site: SiteConfig, items: BakeArtifact[]): Promise<Map<BakeArtifact, string>> {
  const out = new Map<BakeArtifact, string>();
  let manifest: Map<string, string> | null = null;
  for (const item of items) {
    const pinned = site.checksums[item.spec.mirrorPath];
    if (pinned) {
      out.set(item, pinned);
      continue;
    }
    manifest ??= await mirrorManifest(site);
    const listed = manifest.get(item.spec.mirrorPath);
    if (!listed) {
      throw new BadInputError(
        `no sha256 for ${item.spec.kind} ${item.spec.version} (${item.spec.mirrorPath}): pin it under checksums: in the site config` +
          (site.mirror ? ` or list it in ${site.mirror.url.replace(/\/+$/, "")}/SHA256SUMS` : " or configure a mirror with a SHA256SUMS manifest"),
        { artifact: item.spec.mirrorPath },
      );
    }
    out.set(item, listed);
  }
  return out;
}

/** The mirror's SHA256SUMS; an absent mirror or manifest (404) is an empty one. */
async function mirrorManifest(site: SiteConfig): Promise<Map<string, string>> {
  const base = mirrorBase(site);
  if (!base) return new Map();
  const url = `${base}/SHA256SUMS`;
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
