import type { Fetchable } from "./fetchable.js";
import { BadInputError } from "../errors.js";
import type { OsFacts } from "../facts/types.js";
import { mirrorBase } from "../site/sections/mirror.js";
import type { SiteConfig } from "../site/types.js";
import { artifactFor, artifactUrl, UnsupportedArtifact, type ArtifactKind, type ArtifactSpec } from "./catalog.js";

/** Where verified downloads are kept (under the root): a re-bake hashes them and fetches nothing. */
export const CACHE_DIR = "/var/cache/pwb-agent/artifacts";

/** The build of an artifact for this OS; one that is not published is bad input. */
export function specFor(kind: ArtifactKind, version: string, os: OsFacts): ArtifactSpec {
  try {
    return artifactFor(kind, version, os);
  } catch (e) {
    if (e instanceof UnsupportedArtifact) throw new BadInputError(e.message);
    throw e;
  }
}

/**
 * Where an artifact comes from (the site's mirror, https:// or s3://, else its publisher) and what it
 * must hash to: the site's pin under checksums:, else the mirror's SHA256SUMS entry, read only when the
 * file has to be fetched.
 */
export function artifactFetch(spec: ArtifactSpec, site: SiteConfig): Fetchable {
  const base = site.mirror ? mirrorBase(site.mirror.url) : null;
  return {
    label: `${spec.kind} ${spec.version}`,
    url: artifactUrl(spec, base),
    sha256: site.checksums[spec.mirrorPath] ?? { manifest: base ? `${base}/SHA256SUMS` : null, entry: spec.mirrorPath },
    // Keyed by mirror path, so two kinds never collide on a file name in the cache.
    path: `${CACHE_DIR}/${spec.mirrorPath}`,
  };
}
