import path from "node:path";
import type { Root } from "../nodefs/root.js";
import type { CommandRunner } from "../engine/runner.js";
import type { SiteConfig } from "../site/types.js";
import { fail, ok, skipped, type CheckOutcome } from "./checks.js";
import { firstLine, SIMULATED } from "./system.js";

/** A Slurm client from the site's bin path, talking to the site's slurm.conf. */
export function slurmArgv(site: SiteConfig, cmd: string, ...args: string[]): string[] {
  return [path.posix.join(site.slurm.binPath, cmd), ...args];
}

export const slurmEnv = (site: SiteConfig) => ({ SLURM_CONF: site.slurm.conf });

/** `scontrol ping`: the controller answers. On a simulated root the controller is not this node's. */
export async function checkSlurmctld(root: Root, runner: CommandRunner, site: SiteConfig): Promise<CheckOutcome> {
  if (!root.live) return skipped(SIMULATED);
  const res = await runner.run(slurmArgv(site, "scontrol", "ping"), { env: slurmEnv(site), timeoutMs: 8_000 });
  const out = `${res.stdout}\n${res.stderr}`;
  const lines = out.split("\n").map((l) => l.trim()).filter((l) => /^Slurmctld\(/.test(l));
  if (res.code === 0 && lines.length && lines.some((l) => /is UP/.test(l))) return ok(lines.join("; "));
  if (res.code === 127) return fail(`${slurmArgv(site, "scontrol")[0]} not found`, "check slurm.binPath in the site file");
  return fail(lines.join("; ") || firstLine(out) || `scontrol ping exited ${res.code}`, `systemctl status slurmctld; journalctl -u slurmctld (SLURM_CONF=${site.slurm.conf})`);
}
