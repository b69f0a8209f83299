import type { OsFacts } from "../facts/types.js";

export type ArtifactKind = "r" | "python" | "quarto" | "workbench";
export type ArtifactFormat = "rpm" | "deb" | "tar.gz";

/** One downloadable build, where Posit (or Quarto) publishes it and where a mirror keeps it. */
export interface ArtifactSpec {
  kind: ArtifactKind;
  version: string;
  fileName: string;
  format: ArtifactFormat;
  /** The publisher's URL. */
  officialUrl: string;
  /** Path under a mirror's base URL (and in its SHA256SUMS): `<kind>/<platform>/<file>`. */
  mirrorPath: string;
}

/** Posit's platform ids for its R and Python builds (r-builds / python-builds), by OS. */
function positPlatform(os: OsFacts): string | null {
  if (os.family === "rhel" && os.id !== "amzn") return os.major === 8 ? "centos-8" : os.major === 9 ? "rhel-9" : null;
  if (os.id === "ubuntu") return os.version === "22.04" ? "ubuntu-2204" : os.version === "24.04" ? "ubuntu-2404" : null;
  return null;
}

/** Workbench's package directory names: rhel8/rhel9 rpms, one jammy deb also used on noble. */
function workbenchPlatform(os: OsFacts): { dir: string; format: "rpm" | "deb" } | null {
  if (os.family === "rhel" && os.id !== "amzn") return os.major === 8 || os.major === 9 ? { dir: `rhel${os.major}`, format: "rpm" } : null;
  if (os.id === "ubuntu" && (os.version === "22.04" || os.version === "24.04")) return { dir: "jammy", format: "deb" };
  return null;
}

export class UnsupportedArtifact extends Error {}

/** The build of `kind`/`version` for this OS (x86_64), or UnsupportedArtifact naming why not. */
export function artifactFor(kind: ArtifactKind, version: string, os: OsFacts): ArtifactSpec {
  const unsupported = () => new UnsupportedArtifact(`no ${kind} ${version} build is published for ${os.id} ${os.version}`);
  switch (kind) {
    case "r":
    case "python": {
      const platform = positPlatform(os);
      if (!platform) throw unsupported();
      const base = kind === "r" ? "R" : "python";
      const fileName =
        os.family === "rhel" ? `${base}-${version}-1-1.x86_64.rpm` : `${kind === "r" ? "r" : "python"}-${version}_1_amd64.deb`;
      return {
        kind, version, fileName,
        format: os.family === "rhel" ? "rpm" : "deb",
        officialUrl: `https://cdn.posit.co/${kind}/${platform}/pkgs/${fileName}`,
        mirrorPath: `${kind}/${platform}/${fileName}`,
      };
    }
    case "quarto": {
      const fileName = `quarto-${version}-linux-amd64.tar.gz`;
      return {
        kind, version, fileName, format: "tar.gz",
        officialUrl: `https://github.com/quarto-dev/quarto-cli/releases/download/v${version}/${fileName}`,
        mirrorPath: `quarto/${fileName}`,
      };
    }
    case "workbench": {
      const platform = workbenchPlatform(os);
      if (!platform) throw unsupported();
      // Versions carry a build number after '+', which file names spell with '-'.
      const fileVersion = version.replace(/\+/g, "-");
      const fileName =
        platform.format === "rpm" ? `rstudio-workbench-rhel-${fileVersion}-x86_64.rpm` : `rstudio-workbench-${fileVersion}-amd64.deb`;
      const arch = platform.format === "rpm" ? "x86_64" : "amd64";
      return {
        kind, version, fileName, format: platform.format,
        officialUrl: `https://download2.rstudio.org/server/${platform.dir}/${arch}/${fileName}`,
        mirrorPath: `workbench/${platform.dir}/${fileName}`,
      };
    }
  }
}

/** Where to fetch from: the mirror when one is configured (private subnets), else the publisher. */
export function artifactUrl(spec: ArtifactSpec, mirrorBase: string | null): string {
  return mirrorBase ? `${mirrorBase.replace(/\/+$/, "")}/${spec.mirrorPath}` : spec.officialUrl;
}

/**
 * A `sha256sum`-format manifest (`<hex>  <path>`, optional `*` binary marker), as a mirror
 * publishes it in SHA256SUMS. Malformed lines are reported, not skipped.
 */
export function parseChecksums(text: string, source: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`${source}:${i + 1}: expected "<sha256>  <path>", got "${line.slice(0, 80)}"`);
    sums.set(m[2]!.replace(/^\.\//, ""), m[1]!.toLowerCase());
  });
  return sums;
}
