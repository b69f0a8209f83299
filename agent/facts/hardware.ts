import os from "node:os";
import type { NodeReader } from "./reader.js";

export const CPU_ONLINE = "/sys/devices/system/cpu/online";
export const MEMINFO = "/proc/meminfo";

export interface HardwareFacts {
  cpus: number | null;
  memoryMiB: number | null;
}

/**
 * CPU count and memory from sysfs/procfs. On the live node a missing file falls back to node:os
 * (a container without /sys); on a simulated root missing means unknown, never the host's values.
 */
export async function readHardwareFacts(reader: NodeReader, live: boolean): Promise<HardwareFacts> {
  const [online, meminfo] = await Promise.all([reader.text(CPU_ONLINE), reader.text(MEMINFO)]);
  let cpus = online === null ? null : countCpuList(online);
  let memoryMiB = meminfo === null ? null : memTotalMiB(meminfo);
  if (live && cpus === null) cpus = os.cpus().length || os.availableParallelism();
  if (live && memoryMiB === null) memoryMiB = Math.floor(os.totalmem() / 1048576);
  return { cpus, memoryMiB };
}

/** Counts a kernel CPU list like "0-3,8-11" (→ 8); null when it is not one. */
export function countCpuList(text: string): number | null {
  const list = text.trim();
  if (list === "") return null;
  let n = 0;
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return null;
    n += hi - lo + 1;
  }
  return n;
}

/** MemTotal from /proc/meminfo (kB) in MiB; null when the line is absent. */
export function memTotalMiB(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Math.floor(Number(m[1]) / 1024) : null;
}
