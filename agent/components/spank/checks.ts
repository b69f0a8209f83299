import path from "node:path";
import { check, fail, ok, type CheckContext, type CheckOutcome, type SectionedChecks } from "../../doctor/checks.js";
import { slurmArgv, slurmEnv } from "../../doctor/slurm.js";
import { firstLine, SIMULATED } from "../../doctor/system.js";
import type { CommandRunner } from "../../engine/runner.js";
import type { Facts } from "../../facts/types.js";
import type { Root } from "../../nodefs/root.js";
import type { SpankSite } from "../../site/sections/spank.js";
import type { SiteConfig } from "../../site/types.js";
import { spankStablePaths } from "./layout.js";
import { includesRegistration, registrationPaths } from "./register.js";

const slurmEtc = (site: SiteConfig) => path.posix.dirname(site.slurm.conf);

/** Head node: plugstack.conf includes our registration file, which loads the installed plugin. */
export async function checkPlugstack(root: Root, site: SiteConfig, s: SpankSite): Promise<CheckOutcome> {
  const p = registrationPaths(slurmEtc(site));
  const rerun = "run `pwb-agent apply` on the head node";
  const plugstack = await root.readText(p.plugstack);
  if (plugstack === null) return fail(`${p.plugstack} is missing`, rerun);
  if (!includesRegistration(plugstack, p)) return fail(`${p.plugstack} has no include line that loads ${p.conf}`, rerun);
  const conf = await root.readText(p.conf);
  if (conf === null) return fail(`${p.conf} is missing`, rerun);
  const lib = spankStablePaths(s).registeredLibrary;
  if (!conf.split("\n").some((l) => l.startsWith(`required ${lib} `))) return fail(`${p.conf} does not register ${lib}`, rerun);
  return ok(`${p.plugstack} → ${p.conf} → ${lib}`);
}

async function isElf(root: Root, lib: string): Promise<boolean> {
  const head = await root.readHead(lib, 4).catch(() => null);
  return head?.toString("latin1") === "\x7fELF";
}

/**
 * The plugin loads: on the live node Slurm's own client loads plugstack.conf (`srun --help` lists the
 * plugin's options; a `required` plugin that fails to load fails srun); on a simulated root, the
 * registered library is an ELF file.
 */
export async function checkPluginLoads(root: Root, runner: CommandRunner, site: SiteConfig, s: SpankSite): Promise<CheckOutcome> {
  const lib = spankStablePaths(s).registeredLibrary;
  if (!(await isElf(root, lib))) return fail(`${lib} is missing or not a shared library`, "run `pwb-agent apply` on this node (it builds the plugin)");
  if (!root.live) return ok(`${lib} is an ELF shared library (loading it: ${SIMULATED})`);
  const res = await runner.run(slurmArgv(site, "srun", "--help"), { env: slurmEnv(site), timeoutMs: 8_000 });
  if (res.code === 0 && res.stdout.includes("--singularity-container")) return ok(`srun --help lists --singularity-container (${lib} loaded)`);
  return fail(`srun --help ${res.code === 0 ? "does not list --singularity-container" : `failed (exit ${res.code}): ${firstLine(res.stderr)}`}`, `check ${lib} against this node's Slurm (journalctl -u slurmd; pwb-agent apply rebuilds it)`);
}

/** Compute node: the per-node wrapper the plugin runs, and the build's wrapper it hands over to. */
export async function checkSpankWrapper(root: Root, s: SpankSite): Promise<CheckOutcome> {
  const p = spankStablePaths(s);
  const missing: string[] = [];
  for (const f of [p.nodeWrapper, p.registeredWrapper]) {
    const st = await root.stat(f).catch(() => null);
    if (!st || !st.isFile() || (st.mode & 0o111) === 0) missing.push(f);
  }
  if (missing.length) return fail(`not an executable file: ${missing.join(", ")}`, "run `pwb-agent apply` on this node");
  return ok(`${p.nodeWrapper} → ${p.registeredWrapper}`);
}

/**
 * Head: registered and loading; login: loading (its users submit jobs, so its Slurm clients load the
 * plugin too); compute: the wrappers a container job runs. Nothing without a `spank:` section.
 */
export function spankChecks(facts: Facts, site: SiteConfig, ctx: CheckContext): SectionedChecks {
  const s = site.spank;
  if (s === null) return {};
  const loads = check("spank.plugin", "spank plugin", () => checkPluginLoads(ctx.root, ctx.runner, site, s));
  switch (facts.role) {
    case "head":
      return { jobs: [check("spank.registration", "plugstack", () => checkPlugstack(ctx.root, site, s)), loads] };
    case "login":
      return { jobs: [loads] };
    case "compute":
      return { jobs: [check("spank.wrapper", "spank wrapper", () => checkSpankWrapper(ctx.root, s))] };
  }
}
