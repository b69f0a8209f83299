import path from "node:path";
import type { Resource } from "../../engine/types.js";
import { globMatches } from "./glob.js";
import type { SpankLayout } from "./layout.js";

export const REGISTRATION_FILE = "singularity-exec.conf";
const MANAGED = "# Managed by pwb-agent (spank component): local edits are overwritten.";

export interface RegistrationPaths {
  plugstack: string;
  confDir: string;
  conf: string;
  /** Temporary files go here, never into plugstack.conf.d: its include glob would load them mid-write. */
  tmpDir: string;
}

export function registrationPaths(slurmEtc: string): RegistrationPaths {
  const j = path.posix.join;
  return { plugstack: j(slurmEtc, "plugstack.conf"), confDir: j(slurmEtc, "plugstack.conf.d"), conf: j(slurmEtc, "plugstack.conf.d", REGISTRATION_FILE), tmpDir: j(slurmEtc, ".pwb-agent-tmp") };
}

export interface PluginArgs {
  defaultImage: string;
  bind: string[];
  /** "disabled", or default `apptainer exec` arguments (may be empty). */
  args: string;
}

/** The plugin's line: `required <so> default=… script=… bind=… args="…"` (the project's documented arguments). */
export function registrationLine(l: SpankLayout, a: PluginArgs): string {
  const args = a.args === "disabled" ? "args=disabled" : `args="${a.args}"`;
  return `required ${l.registeredLibrary} default=${a.defaultImage} script=${l.nodeWrapper} bind=${a.bind.join(",")} ${args}`;
}

/** Whether one of plugstack.conf's `include` lines loads our registration file. */
export function includesRegistration(plugstack: string, p: RegistrationPaths): boolean {
  return plugstack.split("\n").some((line) => {
    const m = /^\s*include\s+(\S+)\s*$/.exec(line);
    return m !== null && globMatches(m[1]!, p.conf);
  });
}

/**
 * plugstack.conf with an `include <confDir>/*.conf` line, keeping whatever else is there (other
 * plugins, ParallelCluster's Pyxis example). When an existing include already matches our file it is
 * left alone: a second include would load the plugin twice, which fails every job.
 */
export function mergedPlugstack(current: string | null, p: RegistrationPaths): string {
  const include = `include ${p.confDir}/*.conf`;
  if (current === null || current.trim() === "") return `${MANAGED.replace("local edits are overwritten", "other lines are kept")}\n${include}\n`;
  if (includesRegistration(current, p)) return current;
  const body = current.endsWith("\n") ? current : `${current}\n`;
  return `${body}# Added by pwb-agent (spank component): loads ${p.confDir}/${REGISTRATION_FILE}.\n${include}\n`;
}

/** Head node only: /opt/slurm/etc is shared with every node, and ParallelCluster never rewrites these files. */
export function registrationResources(l: SpankLayout, a: PluginArgs, p: RegistrationPaths, currentPlugstack: string | null): Resource[] {
  const owned = { mode: 0o644, owner: "root", group: "root", tmpDir: p.tmpDir } as const;
  return [
    { kind: "dir", path: p.confDir, mode: 0o755, owner: "root", group: "root" },
    { kind: "file", path: p.conf, content: `${MANAGED}\n${registrationLine(l, a)}\n`, ...owned },
    { kind: "file", path: p.plugstack, content: mergedPlugstack(currentPlugstack, p), ...owned },
  ];
}
