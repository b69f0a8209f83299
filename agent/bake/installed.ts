import { promises as fs } from "node:fs";
import type { ArtifactSpec } from "../components/runtimes/catalog.js";
import type { Root } from "../engine/root.js";
import type { CommandRunner } from "../engine/runner.js";

/** Where each runtime lives once installed (Posit's r-builds/python-builds layout; Quarto by bake). */
export function installDir(spec: ArtifactSpec): string | null {
  switch (spec.kind) {
    case "r":
      return `/opt/R/${spec.version}`;
    case "python":
      return `/opt/python/${spec.version}`;
    case "quarto":
      return `/opt/quarto/${spec.version}`;
    case "workbench":
      return null;
  }
}

export const WORKBENCH_PACKAGE = "rstudio-workbench";

/** True when this version is already on the node, so bake neither fetches nor installs it. */
export async function isInstalled(spec: ArtifactSpec, root: Root, runner: CommandRunner): Promise<boolean> {
  const dir = installDir(spec);
  if (dir) return (await fs.stat(root.path(dir)).catch(() => null))?.isDirectory() ?? false;
  const have = await installedWorkbench(spec.format, root, runner);
  // Package versions spell the build separator '+' or '-' depending on the format: compare both as '-'.
  const norm = (v: string) => v.replace(/[+-]/g, "-");
  return have !== null && norm(have).startsWith(norm(spec.version));
}

/** The installed Workbench package's version, from the package database under the root. */
async function installedWorkbench(format: ArtifactSpec["format"], root: Root, runner: CommandRunner): Promise<string | null> {
  const argv =
    format === "deb"
      ? ["dpkg-query", ...(root.live ? [] : [`--admindir=${root.path("/var/lib/dpkg")}`]), "-W", "-f=${Status} ${Version}", WORKBENCH_PACKAGE]
      : ["rpm", ...(root.live ? [] : ["--root", root.dir]), "-q", "--qf", "install ok installed %{VERSION}-%{RELEASE}", WORKBENCH_PACKAGE];
  try {
    const r = await runner.run(argv);
    const m = /install ok installed (\S+)/.exec(r.stdout);
    return r.code === 0 && m ? m[1]! : null;
  } catch {
    // No dpkg-query/rpm here (or no database under a simulated root): nothing is installed.
    return null;
  }
}
