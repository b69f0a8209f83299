import type { Root } from "../../nodefs/root.js";
import { isMissing } from "../../nodefs/files.js";
import type { Facts } from "../../facts/types.js";

/** What NVIDIA software the node already has, however it got there (packages or NVIDIA's runfiles). */
export interface CudaInputs {
  /** The kernel module is loaded (facts) or nvidia-smi is installed. */
  driver: boolean;
  /** Toolkit versions found as /usr/local/cuda-<major.minor>. */
  toolkits: string[];
  cudnn: boolean;
}

const CUDNN_HEADERS = ["/usr/include/cudnn_version.h", "/usr/include/x86_64-linux-gnu/cudnn_version_v9.h", "/usr/local/cuda/include/cudnn_version.h"];

export async function gatherCuda(root: Root, facts: Facts): Promise<CudaInputs> {
  const exists = (p: string) => root.exists(p);
  const driver = facts.gpu?.driverVersion != null || (await exists("/usr/bin/nvidia-smi"));
  let entries: string[] = [];
  try {
    entries = await root.readdir("/usr/local");
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  const toolkits = entries.flatMap((e) => /^cuda-(\d+\.\d+)$/.exec(e)?.slice(1, 2) ?? []).sort(compareVersions);
  const cudnn = (await Promise.all(CUDNN_HEADERS.map(exists))).some(Boolean);
  return { driver, toolkits, cudnn };
}

export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}
