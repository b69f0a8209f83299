/**
 * ParallelCluster versions the checks know. The rules come from the aws-parallelcluster CLI's
 * schema and validators (3.8 to 3.12 read in code, later releases from their changelogs); a
 * version newer than NEWEST_KNOWN is checked with the newest rules.
 */
export interface PclusterVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Login nodes with shared EFS for /opt/slurm and custom Slurm database names: the architecture's floor. */
export const OLDEST_SUPPORTED = "3.8.0";
export const NEWEST_KNOWN = "3.16.0";

export function parsePclusterVersion(text: string): PclusterVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function formatVersion(v: PclusterVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

function cmp(a: PclusterVersion, b: PclusterVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function atLeast(v: PclusterVersion, min: string): boolean {
  return cmp(v, parsePclusterVersion(min)!) >= 0;
}

/** Version gates the rules use, named by what changed. */
export const SINCE = {
  loginCustomActions: "3.11.0",
  multipleLoginPools: "3.11.0",
  loginPoolDcv: "3.11.0",
  loginPoolSshAllowedIps: "3.11.0",
  efsAccessPoint: "3.11.0",
  externalSlurmdbd: "3.10.0",
  defaultUserHome: "3.9.0",
  /** LoginNodes/Pools/Ssh/KeyName is deprecated (3.14.0 changelog). */
  loginPoolKeyNameDeprecated: "3.14.0",
  /** ClusterNameValidator caps names at 40 with ExternalSlurmdbd too (it always did with Database). */
  shortNameWithExternalSlurmdbd: "3.16.0",
} as const;

/** Image.Os values ParallelCluster accepts at version v (CLI constants.py SUPPORTED_OSES, by release). */
export function pclusterOses(v: PclusterVersion): string[] {
  const oses = new Set(["alinux2", "centos7", "ubuntu2004", "ubuntu2204", "rhel8", "rocky8"]);
  if (atLeast(v, "3.9.0")) ["rhel9", "rocky9"].forEach((o) => oses.add(o));
  if (atLeast(v, "3.10.0")) {
    oses.delete("centos7");
    oses.add("alinux2023");
  }
  if (atLeast(v, "3.13.0")) oses.add("ubuntu2404");
  if (atLeast(v, "3.14.0")) oses.delete("ubuntu2004");
  return [...oses].sort();
}

/**
 * Image.Os values the agent runs on: its single executable needs glibc >= 2.28 (so no alinux2 or
 * centos7), and Posit Workbench is built for these.
 */
export const AGENT_OSES = ["alinux2023", "rhel8", "rhel9", "rocky8", "rocky9", "ubuntu2204", "ubuntu2404"] as const;
