import { BadInputError } from "../../errors.js";
import type { Resource } from "../../engine/types.js";
import type { Facts } from "../../facts/types.js";
import type { ApptainerSite } from "../../site/sections/apptainer.js";
import { mirrorBase } from "../../site/sections/mirror.js";
import { APPTAINER_CONF, apptainerConf } from "./config.js";
import { packagePlatform, type PackagePlatform } from "./platform.js";
import { PACKAGE_CACHE, releasePackages } from "./release.js";

/** EPEL for EL 8/9: Rocky and Alma ship epel-release in their extras repository; RHEL does not. */
function epel(platform: PackagePlatform, mirror: { url: string } | null): Resource[] {
  if (!platform.el) return [];
  if (!platform.el.rhel) return [{ kind: "packages", label: "epel", items: [{ name: "epel-release" }] }];
  const file = `epel-release-latest-${platform.el.major}.noarch.rpm`;
  const url = mirror && !mirror.url.startsWith("s3://") ? `${mirrorBase(mirror.url)}/epel/${file}` : `https://dl.fedoraproject.org/pub/epel/${file}`;
  // dnf checks the package's signature against the repository key it installs; "latest" has no fixed hash.
  return [{ kind: "command", label: "enable EPEL", argv: ["dnf", "install", "-y", url], creates: "/etc/yum.repos.d/epel.repo" }];
}

/**
 * Apptainer's packages (the image phase): pinned release files verified by sha256 (from GitHub or the
 * site's mirror, https:// or s3://) in one transaction, or EPEL's build.
 */
export function apptainerPackageResources(facts: Facts, a: ApptainerSite, mirror: { url: string } | null): Resource[] {
  const platform = packagePlatform(facts.os);
  if (a.source === "epel") {
    if (!platform.el) throw new BadInputError(`apptainer.source "epel" needs Enterprise Linux 8 or 9 (this node runs ${facts.os.id} ${facts.os.version})`);
    const items = [{ name: "apptainer", version: a.version }, ...(a.suid ? [{ name: "apptainer-suid", version: a.version }] : [])];
    return [...epel(platform, mirror), { kind: "packages", label: "apptainer", items }];
  }
  // Release packages still need EPEL on EL 8/9 for their `fakeroot` dependency.
  const items = releasePackages(a, platform, mirror).map((p) => ({
    name: p.name,
    version: p.installedVersion,
    fetch: { label: `${p.name} ${a.version}`, url: p.url, sha256: p.sha256, path: `${PACKAGE_CACHE}/${p.file}` },
  }));
  return [...epel(platform, mirror), { kind: "packages", label: "apptainer", items }];
}

/** Apptainer on this node: its packages (baked into the image; a repair on a node without them), then the whole apptainer.conf. */
export function apptainerResources(facts: Facts, a: ApptainerSite, mirror: { url: string } | null): Resource[] {
  return [
    ...apptainerPackageResources(facts, a, mirror),
    // `--nv` on GPU nodes comes from `always use nv`.
    { kind: "file", path: APPTAINER_CONF, content: apptainerConf(a, facts.gpu !== null), mode: 0o644, owner: "root", group: "root" },
  ];
}
