import { promises as fs } from "node:fs";
import path from "node:path";
import { CFNCONFIG, DNA_JSON } from "../facts/role.js";
import type { Role } from "../facts/types.js";

/** The OS images pwb-agent supports, as their os-release files say. */
export const SIM_OSES = {
  rocky8: { ID: "rocky", VERSION_ID: "8.10", ID_LIKE: "rhel centos fedora", PRETTY_NAME: "Rocky Linux 8.10 (Green Obsidian)" },
  rocky9: { ID: "rocky", VERSION_ID: "9.4", ID_LIKE: "rhel centos fedora", PRETTY_NAME: "Rocky Linux 9.4 (Blue Onyx)" },
  rhel8: { ID: "rhel", VERSION_ID: "8.10", ID_LIKE: "fedora", PRETTY_NAME: "Red Hat Enterprise Linux 8.10 (Ootpa)" },
  rhel9: { ID: "rhel", VERSION_ID: "9.4", ID_LIKE: "fedora", PRETTY_NAME: "Red Hat Enterprise Linux 9.4 (Plow)" },
  almalinux8: { ID: "almalinux", VERSION_ID: "8.10", ID_LIKE: "rhel centos fedora", PRETTY_NAME: "AlmaLinux 8.10 (Cerulean Leopard)" },
  almalinux9: { ID: "almalinux", VERSION_ID: "9.4", ID_LIKE: "rhel centos fedora", PRETTY_NAME: "AlmaLinux 9.4 (Seafoam Ocelot)" },
  alinux2023: { ID: "amzn", VERSION_ID: "2023", ID_LIKE: "fedora", PRETTY_NAME: "Amazon Linux 2023.6.20241010" },
  ubuntu2204: { ID: "ubuntu", VERSION_ID: "22.04", ID_LIKE: "debian", PRETTY_NAME: "Ubuntu 22.04.5 LTS" },
  ubuntu2404: { ID: "ubuntu", VERSION_ID: "24.04", ID_LIKE: "debian", PRETTY_NAME: "Ubuntu 24.04.1 LTS" },
} as const;
export type SimOs = keyof typeof SIM_OSES;

const NODE_TYPE: Record<Role, string> = { head: "HeadNode", login: "LoginNode", compute: "ComputeFleet" };

export interface SimNodeOptions {
  role: Role;
  os?: SimOs;
  clusterName?: string;
  region?: string;
  queue?: string;
  pool?: string;
  cpus?: number;
  memoryMiB?: number;
  /** NVIDIA GPUs on the PCI bus (and the driver loaded when `driver` is set). */
  gpus?: number;
  gpuDriver?: string;
  /** The head node's private address in dna.json (other roles). */
  headNodeIp?: string;
  /** Which ParallelCluster fact files to write: dna.json (default), cfnconfig, both or none. */
  factFiles?: "dna" | "cfnconfig" | "both" | "none";
}

/** /etc/chef/dna.json as ParallelCluster 3.x writes it for a node of this role (the fields the agent reads). */
export function simulatedDnaJson(o: SimNodeOptions): string {
  const cluster = o.clusterName ?? "pwb-demo";
  const region = o.region ?? "eu-west-1";
  const c: Record<string, string> = {
    node_type: NODE_TYPE[o.role],
    stack_name: cluster,
    region,
    scheduler: "slurm",
    base_os: o.os ?? "rocky9",
    shared_storage_type: "efs",
  };
  if (o.role !== "head") {
    c.cluster_name = cluster;
    c.head_node_private_ip = o.headNodeIp ?? "10.0.0.10";
  }
  if (o.role === "compute") {
    c.scheduler_queue_name = o.queue ?? "interactive";
    c.scheduler_compute_resource_name = "cr1";
  }
  if (o.role === "login") c.pool_name = o.pool ?? "login";
  return JSON.stringify({ cluster: c }, null, 2) + "\n";
}

/**
 * Lays out the files a ParallelCluster node of this role would have, under `root`, as
 * ParallelCluster 3.x writes them (its CLI's cluster, queue and login stack templates and its cookbook's
 * cfnconfig template): /etc/chef/dna.json,
 * /etc/parallelcluster/cfnconfig, /etc/os-release, /proc/meminfo, CPU and PCI sysfs entries.
 */
export async function writeSimulatedNode(root: string, o: SimNodeOptions): Promise<void> {
  const cluster = o.clusterName ?? "pwb-demo";
  const region = o.region ?? "eu-west-1";
  const files: Record<string, string> = {};
  const factFiles = o.factFiles ?? "dna";

  if (factFiles === "dna" || factFiles === "both") files[DNA_JSON] = simulatedDnaJson(o);
  if (factFiles === "cfnconfig" || factFiles === "both") {
    const lines = [
      `stack_name=${cluster}`,
      `cfn_preinstall=NONE`,
      `cfn_preinstall_args=()`,
      `cfn_postinstall="s3://pwb-bucket/pwb-hook.sh"`,
      `cfn_postinstall_args=("apply" "--quiet")`,
      `cfn_region=${region}`,
      `cfn_scheduler=slurm`,
      `cfn_node_type=${NODE_TYPE[o.role]}`,
      `cfn_cluster_user=rocky`,
    ];
    if (o.role === "compute") lines.push(`cfn_head_node_private_ip=10.0.0.10`, `cfn_scheduler_queue_name=${o.queue ?? "interactive"}`);
    files[CFNCONFIG] = lines.join("\n") + "\n";
  }

  const osRelease = SIM_OSES[o.os ?? "rocky9"];
  files["/etc/os-release"] = Object.entries(osRelease).map(([k, v]) => `${k}="${v}"`).join("\n") + "\n";
  // ParallelCluster creates the slurm user (SlurmUser) on every node.
  files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/bash\nslurm:x:401:401::/home/slurm:/bin/bash\nrstudio-server:x:998:998::/home/rstudio-server:/sbin/nologin\n";
  files["/etc/group"] = "root:x:0:\nslurm:x:401:\nrstudio-server:x:998:\n";
  const memKiB = (o.memoryMiB ?? 15_880) * 1024;
  files["/proc/meminfo"] = `MemTotal:       ${memKiB} kB\nMemFree:        ${Math.floor(memKiB / 2)} kB\n`;
  const cpus = o.cpus ?? 4;
  files["/sys/devices/system/cpu/online"] = cpus === 1 ? "0\n" : `0-${cpus - 1}\n`;

  // The PCI bus always has something on it; a GPU node adds NVIDIA 3D controllers.
  files["/sys/bus/pci/devices/0000:00:00.0/vendor"] = "0x8086\n";
  files["/sys/bus/pci/devices/0000:00:00.0/class"] = "0x060000\n";
  for (let i = 0; i < (o.gpus ?? 0); i++) {
    const dev = `/sys/bus/pci/devices/0000:00:${(0x1e + i).toString(16).padStart(2, "0")}.0`;
    files[`${dev}/vendor`] = "0x10de\n";
    files[`${dev}/device`] = "0x2237\n";
    files[`${dev}/class`] = "0x030200\n";
  }
  if (o.gpus && o.gpuDriver) {
    files["/proc/driver/nvidia/version"] =
      `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${o.gpuDriver}  Tue Sep 24 19:10:31 UTC 2024\nGCC version:  gcc version 11.4.1\n`;
    files["/proc/driver/nvidia/gpus/0000:00:1e.0/information"] = "Model: \t\t NVIDIA A10G\nIRQ:   \t\t 42\n";
  }
  for (const [p, content] of Object.entries(files)) {
    const real = path.join(root, p);
    await fs.mkdir(path.dirname(real), { recursive: true });
    await fs.writeFile(real, content);
  }
}
