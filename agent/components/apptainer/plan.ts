import { BadInputError } from "../../errors.js";
import type { Resource } from "../../engine/types.js";
import type { Facts } from "../../facts/types.js";
import type { ApptainerSite } from "../../site/sections/apptainer.js";
import { mirrorBase } from "../../site/sections/fields.js";
import { APPTAINER_CONF, apptainerConf } from "./config.js";
import { packagePlatform, type PackagePlatform } from "./platform.js";
import { PACKAGE_CACHE, releasePackages } from "./release.js";

/** EPEL for EL 8/9: Rocky and Alma ship epel-release in their extras repository; RHEL does not. */
function epel(platform: PackagePlatform, mirror: { url: string } | null): Resource[] {
  if (!platform.el) return [];
  if (!platform.el.rhel) return [{ kind: "package", name: "epel-release" }];
  const file = `epel-release-latest-${platform.el.major}.noarch.rpm`;
  const url = mirror && !mirror.url.startsWith("s3://") ? `${mirrorBase(mirror.url)}/epel/${file}` : `https://dl.fedoraproject.org/pub/epel/${file}`;
  // dnf checks the package's signature against the repository key it installs; "latest" has no fixed hash.
  return [{ kind: "command", label: "enable EPEL", argv: ["dnf", "install", "-y", url], creates: "/etc/yum.repos.d/epel.repo" }];
}

/**
 * Apptainer on this node: pinned packages (release files verified by sha256, or EPEL's build),
 * then the whole apptainer.conf. `--nv` on GPU nodes comes from `always use nv`.
 */
export function apptainerResources(facts: Facts, a: ApptainerSite, mirror: { url: string } | null): Resource[] {
  const platform = packagePlatform(facts.os);
  const resources: Resource[] = [];
  if (a.source === "epel") {
    if (!platform.el) throw new BadInputError(`apptainer.source "epel" needs Enterprise Linux 8 or 9 (this node runs ${facts.os.id} ${facts.os.version})`);
    resources.push(...epel(platform, mirror), { kind: "package", name: "apptainer", version: a.version });
    if (a.suid) resources.push({ kind: "package", name: "apptainer-suid", version: a.version });
  } else {
    // Release packages still need EPEL on EL 8/9 for their `fakeroot` dependency.
    resources.push(...epel(platform, mirror));
    for (const p of releasePackages(a, platform, mirror)) {
      const path = `${PACKAGE_CACHE}/${p.file}`;
      resources.push(
        { kind: "download", url: p.url, sha256: p.sha256, path, mode: 0o644 },
        { kind: "package", name: p.name, version: p.installedVersion, source: path },
      );
    }
  }
  resources.push({ kind: "file", path: APPTAINER_CONF, content: apptainerConf(a, facts.gpu !== null), mode: 0o644, owner: "root", group: "root" });
  return resources;
}
