import type { NodeReader } from "./reader.js";
import type { GpuFacts } from "./types.js";

export const PCI_DEVICES = "/sys/bus/pci/devices";
export const NVIDIA_VERSION = "/proc/driver/nvidia/version";
export const NVIDIA_GPUS = "/proc/driver/nvidia/gpus";

const NVIDIA_VENDOR = 0x10de;
/** PCI base class/subclass: 0x0300 VGA controller, 0x0302 3D controller (datacenter GPUs). */
const GPU_CLASSES = new Set([0x0300, 0x0302]);

/**
 * EC2 families with NVIDIA GPUs. g4ad (AMD), inf/trn (Neuron), dl1 (Habana) and f1 (FPGA) are not.
 * Every p6 variant (p6-b200, p6e-gb200, …) is NVIDIA.
 */
const NVIDIA_FAMILIES = new Set([
  "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en",
  "g2", "g3", "g3s", "g4dn", "g5", "g5g", "g6", "g6e", "g6f", "gr6", "gr6f",
]);

/** What the node itself shows: PCI functions and the loaded driver. */
export interface GpuProbe {
  /** False when /sys/bus/pci/devices does not exist at all (containers, bare simulated roots). */
  pciVisible: boolean;
  pciCount: number;
  /** /proc/driver/nvidia/version exists (the kernel module is loaded). */
  driverLoaded: boolean;
  driverVersion: string | null;
  driverGpuCount: number;
  model: string | null;
}

export async function probeGpu(reader: NodeReader): Promise<GpuProbe> {
  const [pci, driver] = await Promise.all([countNvidiaPci(reader), readDriver(reader)]);
  return { pciVisible: pci !== null, pciCount: pci ?? 0, ...driver };
}

/**
 * GPU facts from the probe. The instance type is a hint used only when PCI sysfs is not visible:
 * where the bus can be read, it is the truth (a g5 image could lack the device, e.g. in a container
 * with a GPU filter).
 */
export function gpuFacts(probe: GpuProbe, instanceType: string | null): GpuFacts | null {
  const evidence: GpuFacts["evidence"] = [];
  if (probe.pciCount > 0) evidence.push("pci");
  if (probe.driverLoaded) evidence.push("driver");
  if (!probe.pciVisible && instanceType !== null && isNvidiaInstanceType(instanceType)) evidence.push("instance-type");
  if (evidence.length === 0) return null;
  return {
    vendor: "nvidia",
    // 0 when only the instance type says so: the count is unknown then.
    count: probe.pciCount || probe.driverGpuCount,
    model: probe.model,
    driverVersion: probe.driverVersion,
    evidence,
  };
}

export function isNvidiaInstanceType(instanceType: string): boolean {
  const family = instanceType.toLowerCase().split(".")[0] ?? "";
  return NVIDIA_FAMILIES.has(family) || /^p6/.test(family);
}

/** NVIDIA display/3D PCI functions; null when the PCI sysfs directory is absent. */
async function countNvidiaPci(reader: NodeReader): Promise<number | null> {
  const devices = await reader.list(PCI_DEVICES);
  if (devices === null) return null;
  const hits = await Promise.all(
    devices.map(async (dev) => {
      // Per-device files are not listed in `sources`: the directory is, once.
      const [vendor, cls] = await Promise.all([
        reader.text(`${PCI_DEVICES}/${dev}/vendor`, { record: false }),
        reader.text(`${PCI_DEVICES}/${dev}/class`, { record: false }),
      ]);
      if (vendor === null || cls === null) return false;
      return parseInt(vendor.trim(), 16) === NVIDIA_VENDOR && GPU_CLASSES.has(parseInt(cls.trim(), 16) >> 8);
    }),
  );
  return hits.filter(Boolean).length;
}

async function readDriver(reader: NodeReader): Promise<Omit<GpuProbe, "pciVisible" | "pciCount">> {
  const [version, gpus] = await Promise.all([reader.text(NVIDIA_VERSION), reader.list(NVIDIA_GPUS)]);
  const first = gpus?.[0];
  const info = first === undefined ? null : await reader.text(`${NVIDIA_GPUS}/${first}/information`);
  return {
    driverLoaded: version !== null,
    driverVersion: version === null ? null : driverVersionOf(version),
    driverGpuCount: gpus?.length ?? 0,
    model: info === null ? null : (/^Model:\s*(.+?)\s*$/m.exec(info)?.[1] ?? null),
  };
}

/**
 * "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  …" and the open module's
 * "NVIDIA UNIX Open Kernel Module for x86_64  550.127.05  …".
 */
export function driverVersionOf(text: string): string | null {
  return /Kernel Module\b.*?\s(\d+\.\d+(?:\.\d+)*)\b/.exec(text)?.[1] ?? null;
}
