import path from "node:path";
import { artifactFor, artifactUrl, parseChecksums, UnsupportedArtifact, type ArtifactKind, type ArtifactSpec } from "../components/runtimes/catalog.js";
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
  const base = mirrorHttpBase(site);
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

/**
 * The mirror as an HTTP base. An s3:// mirror is not fetched by bake yet (it would need signed
 * requests): point mirror.url at the bucket's https endpoint instead.
 */
function mirrorHttpBase(site: SiteConfig): string | null {
  const url = site.mirror?.url ?? null;
  if (url?.startsWith("s3://")) {
    throw new BadInputError(`mirror.url ${url}: bake fetches over http(s) only; use the bucket's https:// endpoint (e.g. https://<bucket>.s3.<region>.amazonaws.com/<prefix>)`);
  }
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
  const base = mirrorHttpBase(site);
  if (!base) return new Map();
  const url = `${base}/SHA256SUMS`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new RuntimeFailure(`cannot read ${url}: ${(e as Error).message}`);
  }
  if (res.status === 404) return new Map();
  if (!res.ok) throw new RuntimeFailure(`cannot read ${url}: HTTP ${res.status}`);
  try {
    return parseChecksums(await res.text(), url);
  } catch (e) {
    throw new BadInputError((e as Error).message);
  }
}
