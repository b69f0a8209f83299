import { check, fail, ok, skipped, type CheckContext, type CheckOutcome, type SectionedChecks } from "../../doctor/checks.js";
import { firstLine, SIMULATED } from "../../doctor/system.js";
import type { CommandRunner } from "../../engine/runner.js";
import type { Facts, GpuFacts } from "../../facts/types.js";
import type { Root } from "../../nodefs/root.js";
import type { SiteConfig } from "../../site/types.js";

/** The NVIDIA kernel driver is loaded (it writes /proc/driver/nvidia/version). */
export async function checkGpuDriver(root: Root, gpu: GpuFacts): Promise<CheckOutcome> {
  const text = await root.readText("/proc/driver/nvidia/version", { maxBytes: 64 * 1024 }).catch(() => null);
  if (text === null) return fail(`${gpu.count || "some"} NVIDIA GPU(s) seen, but the driver is not loaded (/proc/driver/nvidia/version missing)`, "run `pwb-agent apply` (cuda component), then check `dmesg | grep -i nvidia`");
  const m = /Kernel Module\s+(?:for\s+\S+\s+)?([\d.]+)/.exec(text);
  return ok(`driver ${m?.[1] ?? "loaded"} for ${gpu.count || "?"} × ${gpu.model ?? "NVIDIA GPU"}`);
}

/** `nvidia-smi -L` lists as many GPUs as the PCI bus showed. */
export async function checkNvidiaSmi(root: Root, runner: CommandRunner, gpu: GpuFacts): Promise<CheckOutcome> {
  if (!root.live) return skipped(SIMULATED);
  const res = await runner.run(["nvidia-smi", "-L"], { timeoutMs: 15_000 });
  if (res.code === 127) return fail("nvidia-smi is not on PATH", "run `pwb-agent apply` (cuda component installs the driver utilities)");
  if (res.code !== 0) return fail(`nvidia-smi -L exited ${res.code}: ${firstLine(res.stdout) || firstLine(res.stderr)}`, "check the driver: dmesg | grep -i nvidia; a reboot after a driver update");
  const listed = res.stdout.split("\n").filter((l) => /^GPU \d+:/.test(l)).length;
  if (gpu.count > 0 && listed !== gpu.count) return fail(`nvidia-smi lists ${listed} GPU(s); the PCI bus has ${gpu.count}`, "a GPU fell off the bus or the driver lost it: drain the node (scontrol update nodename=… state=drain reason=gpu)");
  return ok(`${listed} GPU(s): ${firstLine(res.stdout)}`);
}

/** Every node whose PCI bus shows an NVIDIA GPU, whether or not the site installs CUDA: the driver must be there. */
export function cudaChecks(facts: Facts, _site: SiteConfig, ctx: CheckContext): SectionedChecks {
  const gpu = facts.gpu;
  if (gpu === null) return {};
  return { gpu: [check("gpu.driver", "gpu driver", () => checkGpuDriver(ctx.root, gpu)), check("gpu.nvidia-smi", "nvidia-smi", () => checkNvidiaSmi(ctx.root, ctx.runner, gpu), 20_000)] };
}
