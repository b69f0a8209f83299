/**
 * vCPUs, memory and NVIDIA GPUs of the EC2 instance types ParallelCluster queues commonly use, so
 * resource profiles can be sized from a queue's instance type without an EC2 API call (login and
 * compute nodes may not call DescribeInstanceTypes). Figures are AWS's published specifications.
 * A type not listed here needs `cpus` and `memoryMiB` in the site file.
 */
export interface InstanceShape {
  cpus: number;
  memoryMiB: number;
  gpus: number;
  /** GPU model, for labels only (Slurm GRES types are a site decision). */
  gpuModel: string | null;
}

const GIB = 1024;

/** Standard sizes → vCPUs. */
const SIZE_CPUS: Record<string, number> = {
  large: 2, xlarge: 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "9xlarge": 36, "12xlarge": 48,
  "16xlarge": 64, "18xlarge": 72, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192,
};

/** Families with a fixed memory per vCPU (GiB) and the sizes they come in. */
const RATIO_FAMILIES: Record<string, { gibPerCpu: number; sizes: string[] }> = {};
const GEN5 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];
const GEN6 = [...GEN5, "32xlarge"];
const GEN7 = [...GEN6, "48xlarge"];
for (const f of ["m5", "m5a", "m5n"]) RATIO_FAMILIES[f] = { gibPerCpu: 4, sizes: GEN5 };
for (const f of ["m6i", "m6a"]) RATIO_FAMILIES[f] = { gibPerCpu: 4, sizes: f === "m6a" ? [...GEN6, "48xlarge"] : GEN6 };
for (const f of ["m7i", "m7a"]) RATIO_FAMILIES[f] = { gibPerCpu: 4, sizes: GEN7 };
RATIO_FAMILIES.c5 = { gibPerCpu: 2, sizes: ["large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"] };
for (const f of ["c6i", "c6a"]) RATIO_FAMILIES[f] = { gibPerCpu: 2, sizes: f === "c6a" ? [...GEN6, "48xlarge"] : GEN6 };
for (const f of ["c7i", "c7a"]) RATIO_FAMILIES[f] = { gibPerCpu: 2, sizes: GEN7 };
for (const f of ["r5", "r5a", "r5n"]) RATIO_FAMILIES[f] = { gibPerCpu: 8, sizes: GEN5 };
for (const f of ["r6i", "r6a"]) RATIO_FAMILIES[f] = { gibPerCpu: 8, sizes: f === "r6a" ? [...GEN6, "48xlarge"] : GEN6 };
for (const f of ["r7i", "r7a"]) RATIO_FAMILIES[f] = { gibPerCpu: 8, sizes: GEN7 };

/** Burstable and GPU types: listed one by one (vCPUs, GiB, GPUs). */
const LISTED: Record<string, [number, number, number, string | null]> = {
  "t3.micro": [2, 1, 0, null], "t3.small": [2, 2, 0, null], "t3.medium": [2, 4, 0, null], "t3.large": [2, 8, 0, null],
  "t3.xlarge": [4, 16, 0, null], "t3.2xlarge": [8, 32, 0, null],
  "t3a.medium": [2, 4, 0, null], "t3a.large": [2, 8, 0, null], "t3a.xlarge": [4, 16, 0, null], "t3a.2xlarge": [8, 32, 0, null],
  "g4dn.xlarge": [4, 16, 1, "T4"], "g4dn.2xlarge": [8, 32, 1, "T4"], "g4dn.4xlarge": [16, 64, 1, "T4"],
  "g4dn.8xlarge": [32, 128, 1, "T4"], "g4dn.12xlarge": [48, 192, 4, "T4"], "g4dn.16xlarge": [64, 256, 1, "T4"],
  "g5.xlarge": [4, 16, 1, "A10G"], "g5.2xlarge": [8, 32, 1, "A10G"], "g5.4xlarge": [16, 64, 1, "A10G"],
  "g5.8xlarge": [32, 128, 1, "A10G"], "g5.12xlarge": [48, 192, 4, "A10G"], "g5.16xlarge": [64, 256, 1, "A10G"],
  "g5.24xlarge": [96, 384, 4, "A10G"], "g5.48xlarge": [192, 768, 8, "A10G"],
  "g6.xlarge": [4, 16, 1, "L4"], "g6.2xlarge": [8, 32, 1, "L4"], "g6.4xlarge": [16, 64, 1, "L4"],
  "g6.8xlarge": [32, 128, 1, "L4"], "g6.12xlarge": [48, 192, 4, "L4"], "g6.16xlarge": [64, 256, 1, "L4"],
  "g6.24xlarge": [96, 384, 4, "L4"], "g6.48xlarge": [192, 768, 8, "L4"],
  "p3.2xlarge": [8, 61, 1, "V100"], "p3.8xlarge": [32, 244, 4, "V100"], "p3.16xlarge": [64, 488, 8, "V100"],
  "p4d.24xlarge": [96, 1152, 8, "A100"],
  "p5.48xlarge": [192, 2048, 8, "H100"],
};

export function instanceShape(type: string): InstanceShape | null {
  const listed = LISTED[type];
  if (listed) {
    const [cpus, gib, gpus, gpuModel] = listed;
    return { cpus, memoryMiB: gib * GIB, gpus, gpuModel };
  }
  const [family, size] = type.split(".");
  const f = family === undefined ? undefined : RATIO_FAMILIES[family];
  const cpus = size === undefined ? undefined : SIZE_CPUS[size];
  if (!f || cpus === undefined || !f.sizes.includes(size!)) return null;
  return { cpus, memoryMiB: cpus * f.gibPerCpu * GIB, gpus: 0, gpuModel: null };
}

/**
 * Memory a Workbench session may ask for on a node: the OS, slurmd and the page cache keep 10 %
 * (at least 1 GiB, at most half). ParallelCluster itself offers Slurm 95 % of the instance's memory,
 * so a profile sized from this always fits.
 */
export function schedulableMiB(memoryMiB: number): number {
  const headroom = Math.min(Math.max(Math.ceil(memoryMiB * 0.1), 1024), Math.floor(memoryMiB / 2));
  return memoryMiB - headroom;
}
