import { BadInputError } from "../../errors.js";
import type { OsFacts } from "../../facts/types.js";
import type { Resource } from "../../engine/types.js";
import type { CudaSite } from "../../site/sections/cuda.js";
import { mirrorBase } from "../../site/sections/mirror.js";

const NVIDIA_REPOS = "https://developer.download.nvidia.com/compute/cuda/repos";
export const YUM_REPO_FILE = "/etc/yum.repos.d/pwb-cuda.repo";
export const RPM_KEY = "/etc/pki/rpm-gpg/RPM-GPG-KEY-pwb-cuda";
export const APT_SOURCE_FILE = "/etc/apt/sources.list.d/pwb-cuda.list";
export const APT_KEYRING = "/usr/share/keyrings/pwb-cuda.asc";
/** Where a repository snapshot fetched from an s3:// mirror is unpacked for dnf/apt to read. */
export const LOCAL_REPO_DIR = "/var/cache/pwb-agent/repos";

/** NVIDIA's name for the node's OS in its repository paths, and the key that signs that repository. */
export function nvidiaDistro(os: OsFacts): { distro: string; keyFile: string } {
  if (os.family === "rhel" && os.id === "amzn" && os.major === 2023) return { distro: "amzn2023", keyFile: "D42D0685.pub" };
  if (os.family === "rhel" && (os.major === 8 || os.major === 9)) return { distro: `rhel${os.major}`, keyFile: "D42D0685.pub" };
  if (os.id === "ubuntu" && (os.version === "22.04" || os.version === "24.04")) return { distro: `ubuntu${os.version.replace(".", "")}`, keyFile: "3bf863cc.pub" };
  throw new BadInputError(`cuda: no NVIDIA repository for ${os.prettyName ?? `${os.id} ${os.version}`}`);
}

/**
 * NVIDIA's CUDA repository for this OS (or the site's mirror of it), signed by a key whose sha256 the
 * site pins: a repository is only trusted through a key the site vouched for.
 */
export function cudaRepoResources(os: OsFacts, c: CudaSite, mirror: { url: string } | null, firstPackage: string, checksums: Record<string, string> = {}): Resource[] {
  const { distro, keyFile } = nvidiaDistro(os);
  const fromS3 = c.repo.url === null && mirror !== null && mirror.url.startsWith("s3://");
  const base = (c.repo.url ?? (mirror ? `${mirrorBase(mirror.url)}/cuda/${distro}/x86_64/` : `${NVIDIA_REPOS}/${distro}/x86_64/`)).replace(/\/*$/, "/");
  if (c.repo.keySha256 === null) {
    throw new BadInputError(`cuda.repo.keySha256: expected the sha256 of ${base}${c.repo.keyFile ?? keyFile} (this GPU node needs packages from that repository)`, { field: "cuda.repo.keySha256" });
  }
  const key = { url: `${base}${c.repo.keyFile ?? keyFile}`, sha256: c.repo.keySha256 };
  // dnf and apt cannot read s3://: the agent fetches the mirror's snapshot of the repository (a verified
  // tarball) and points dnf/apt at it on local disk. Only while packages are missing, like the rest.
  const snapshot: Resource[] = [];
  let repoUrl = base;
  if (fromS3) {
    const entry = `cuda/${distro}/x86_64/repo.tar.gz`;
    const dir = `${LOCAL_REPO_DIR}/cuda-${distro}`;
    snapshot.push({
      kind: "archive", path: dir, stripComponents: 0,
      fetch: { label: `CUDA repository snapshot for ${distro}`, url: `${base}repo.tar.gz`, sha256: checksums[entry] ?? { manifest: `${mirrorBase(mirror!.url)}/SHA256SUMS`, entry }, path: `/var/cache/pwb-agent/artifacts/${entry}` },
    });
    repoUrl = os.family === "debian" ? `file:${dir}` : `file://${dir}/`;
  }
  if (os.family === "debian") {
    return [
      ...snapshot,
      { kind: "download", url: key.url, sha256: key.sha256, path: APT_KEYRING, mode: 0o644 },
      { kind: "file", path: APT_SOURCE_FILE, content: `# Managed by pwb-agent (cuda component)\ndeb [signed-by=${APT_KEYRING}] ${repoUrl} /\n`, mode: 0o644, owner: "root", group: "root" },
      // apt only learns a new repository's packages from `apt-get update`; skipped once it knows them.
      { kind: "command", label: "apt-get update (CUDA repository)", argv: ["apt-get", "update"], unless: ["apt-cache", "show", firstPackage] },
    ];
  }
  const repo = ["[pwb-cuda]", `name=NVIDIA CUDA ${distro} (managed by pwb-agent)`, `baseurl=${repoUrl}`, "enabled=1", "gpgcheck=1", `gpgkey=file://${RPM_KEY}`, ""].join("\n");
  return [
    ...snapshot,
    { kind: "download", url: key.url, sha256: key.sha256, path: RPM_KEY, mode: 0o644 },
    { kind: "file", path: YUM_REPO_FILE, content: `# Managed by pwb-agent (cuda component)\n${repo}`, mode: 0o644, owner: "root", group: "root" },
  ];
}
