export const ROLES = ["head", "login", "compute"] as const;
export type Role = (typeof ROLES)[number];

export type OsFamily = "rhel" | "debian";

export interface OsFacts {
  /** `ID` from os-release: rocky, rhel, almalinux, amzn, ubuntu, … */
  id: string;
  /** `VERSION_ID` from os-release, e.g. "9.4", "2023", "22.04". */
  version: string;
  /** Major version as a number where it has one (9, 2023, 22). */
  major: number | null;
  family: OsFamily | null;
  /** True for the OS/version pairs pwb-agent supports. */
  supported: boolean;
  prettyName: string | null;
  /**
   * The project's own bootable test image (Debian 13, os-release VARIANT_ID=pwb-test-node): id and
   * version then say Ubuntu 24.04, the release whose package rules it follows; never supported.
   */
  testNode?: true;
}

export interface GpuFacts {
  vendor: "nvidia";
  /** PCI functions with an NVIDIA display/3D class (0 = unknown: only the instance type said so). */
  count: number;
  model: string | null;
  /** Driver version from /proc/driver/nvidia/version, when the driver is loaded. */
  driverVersion: string | null;
  /** Which sources said "GPU": "pci", "driver", "instance-type". */
  evidence: Array<"pci" | "driver" | "instance-type">;
}

export interface InstanceFacts {
  id: string | null;
  type: string | null;
  region: string | null;
  availabilityZone: string | null;
  /** Where the identity came from. */
  source: "imds" | "node-files" | "none";
}

export interface ClusterFacts {
  name: string | null;
  region: string | null;
  /** Compute nodes: the Slurm queue (partition) this node belongs to. */
  queue: string | null;
  /** Login nodes: the login pool name. */
  pool: string | null;
  headNodeIp: string | null;
  scheduler: string | null;
  /** `ebs` | `efs`: where ParallelCluster keeps /opt/slurm and friends. */
  sharedStorageType: string | null;
}

export interface Facts {
  role: Role;
  /** Which file decided the role ("override" when --role was given). */
  roleSource: "dna.json" | "cfnconfig" | "override";
  cluster: ClusterFacts;
  instance: InstanceFacts;
  os: OsFacts;
  cpus: number | null;
  memoryMiB: number | null;
  gpu: GpuFacts | null;
  /** Node paths read successfully (files, and the PCI/NVIDIA directories listed), for `detect`. */
  sources: string[];
}
