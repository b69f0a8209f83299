import { promises as fs } from "node:fs";
import { imagePaths } from "../components/images/gather.js";
import { readTextMaybe } from "../nodefs/files.js";
import type { Root } from "../nodefs/root.js";
import type { CommandRunner } from "../engine/runner.js";
import type { GpuFacts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import { fail, ok, skipped, warn, type CheckOutcome } from "./checks.js";
import { SIMULATED } from "./system.js";

const firstLine = (s: string) => s.trim().split("\n")[0]?.slice(0, 200) ?? "";

/** The image a container job gets without asking: the plugin's default, else the site's first session image. */
export function defaultImage(site: SiteConfig): string | null {
  if (site.spank?.defaultImage) return site.spank.defaultImage;
  const first = site.images[0];
  return first ? imagePaths(site.containers.imageDirectory, first.name).image : null;
}

/** `apptainer --version`, against the site's pinned version when it pins one. */
export async function checkApptainerVersion(root: Root, runner: CommandRunner, site: SiteConfig): Promise<CheckOutcome> {
  if (!root.live) return skipped(SIMULATED);
  const res = await runner.run(["apptainer", "--version"], { timeoutMs: 8_000 });
  if (res.code === 127) return fail("apptainer is not on PATH", "run `pwb-agent apply` (the apptainer component installs it)");
  if (res.code !== 0) return fail(`apptainer --version exited ${res.code}: ${firstLine(res.stderr)}`, "reinstall Apptainer: `pwb-agent apply`");
  const seen = firstLine(res.stdout);
  const pinned = site.apptainer?.version.replace(/-.*$/, "");
  if (pinned && !seen.includes(pinned)) return warn(`${seen}; the site pins ${site.apptainer!.version}`, "run `pwb-agent apply` to install the pinned version");
  return ok(seen);
}

/** `apptainer exec <default image> true`: the image is there and the runtime can start it. */
export async function checkApptainerExec(root: Root, runner: CommandRunner, site: SiteConfig): Promise<CheckOutcome> {
  const image = defaultImage(site);
  if (image === null) return skipped("no default image (spank.defaultImage or images:)");
  const st = await fs.stat(root.path(image)).catch(() => null);
  if (!st?.isFile()) return fail(`${image} is missing`, "run `pwb-agent apply` on the head node (it pulls or builds the site's images)");
  if (!root.live) return skipped(`${image} present; running it: ${SIMULATED}`);
  const res = await runner.run(["apptainer", "exec", image, "true"], { timeoutMs: 60_000 });
  if (res.code !== 0) return fail(`apptainer exec ${image} true exited ${res.code}: ${firstLine(res.stderr) || firstLine(res.stdout)}`, "check the image (apptainer inspect) and Apptainer's setup (apptainer.conf, user namespaces)");
  return ok(`apptainer exec ${image} true: exit 0`);
}

/** The NVIDIA kernel driver is loaded (it writes /proc/driver/nvidia/version). */
export async function checkGpuDriver(root: Root, gpu: GpuFacts): Promise<CheckOutcome> {
  const text = await readTextMaybe(root.path("/proc/driver/nvidia/version"), 64 * 1024).catch(() => null);
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
