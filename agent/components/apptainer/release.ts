import { BadInputError } from "../../errors.js";
import type { ApptainerSite } from "../../site/sections/apptainer.js";
import { mirrorBase } from "../../site/sections/mirror.js";
import type { PackagePlatform } from "./platform.js";

const GITHUB_RELEASES = "https://github.com/apptainer/apptainer/releases/download";
/** Verified downloads wait here for dnf/apt; kept so a re-run finds them (same sha256: no fetch). */
export const PACKAGE_CACHE = "/var/cache/pwb-agent/packages";

export interface ReleasePackage {
  name: "apptainer" | "apptainer-suid";
  file: string;
  url: string;
  sha256: string;
  /** What `rpm -q`/`dpkg-query` reports once installed. */
  installedVersion: string;
}

/** File names as the Apptainer project publishes them (x86_64/amd64 only). */
export function releaseFile(name: ReleasePackage["name"], version: string, format: PackagePlatform["format"]): string {
  return format === "rpm" ? `${name}-${version}-1.x86_64.rpm` : `${name}_${version}_amd64.deb`;
}

/**
 * The release packages this node installs: from GitHub, or from `<mirror>/apptainer/` (clusters
 * without internet; https:// or s3://, fetched by the agent, never by dnf/apt). Every file needs its sha256 in the site config: a missing one is bad input,
 * reported with the exact file name to add.
 */
export function releasePackages(a: ApptainerSite, platform: PackagePlatform, mirror: { url: string } | null): ReleasePackage[] {
  const names: ReleasePackage["name"][] = a.suid ? ["apptainer", "apptainer-suid"] : ["apptainer"];
  const missing: string[] = [];
  const packages = names.map((name) => {
    const file = releaseFile(name, a.version, platform.format);
    const sha256 = a.sha256[file];
    if (sha256 === undefined) missing.push(file);
    const base = mirror ? `${mirrorBase(mirror.url)}/apptainer` : `${GITHUB_RELEASES}/v${a.version}`;
    return { name, file, url: `${base}/${file}`, sha256: sha256 ?? "", installedVersion: platform.format === "rpm" ? `${a.version}-1` : a.version };
  });
  if (missing.length) {
    throw new BadInputError(`apptainer.sha256: expected the sha256 of ${missing.join(" and ")} (the release package${missing.length > 1 ? "s" : ""} this node installs)`, { field: "apptainer.sha256" });
  }
  return packages;
}
