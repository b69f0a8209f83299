import path from "node:path";
import type { Root } from "../../nodefs/root.js";
import { RuntimeFailure } from "../../errors.js";
import type { Role } from "../../facts/types.js";
import type { SpankSite } from "../../site/sections/spank.js";
import { spankLayout } from "./layout.js";
import { registrationPaths } from "./register.js";
import { parseSlurmVersionHeader, type SlurmHeaders } from "./slurm-version.js";

export interface SpankInputs {
  /** The headers the plugin is built against: their version picks the build. */
  slurm: SlurmHeaders;
  /** Head node: plugstack.conf as it is now (other plugins' lines are kept); null when absent or not head. */
  plugstack: string | null;
  /**
   * This build's stamp exists: nothing to fetch or compile (a pre-built AMI needs neither the archive
   * nor compilers at boot, and a cleaned work dir is no drift).
   */
  built: boolean;
}

export async function gatherSpank(root: Root, role: Role, s: SpankSite, slurmEtc: string): Promise<SpankInputs> {
  const header = path.posix.join(s.slurmInclude, "slurm", "slurm_version.h");
  const text = await root.readText(header);
  if (text === null) {
    throw new RuntimeFailure(`spank: no Slurm headers at ${header}: the plugin must be built against the cluster's Slurm (is /opt/slurm mounted? set spank.slurmInclude otherwise)`);
  }
  const slurm = parseSlurmVersionHeader(text);
  if (slurm === null) throw new RuntimeFailure(`spank: ${header} has no SLURM_VERSION_NUMBER`);
  const plugstack = role === "head" ? await root.readText(registrationPaths(slurmEtc).plugstack) : null;
  const built = (await root.lstat(spankLayout(s, slurm).stamp))?.isFile() ?? false;
  return { slurm, plugstack, built };
}
