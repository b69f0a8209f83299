import type { PackageItem, Resource } from "../../engine/types.js";
import type { Facts } from "../../facts/types.js";
import type { SiteConfig } from "../../site/types.js";
import type { Component } from "../types.js";
import { artifactFetch, specFor } from "../../artifacts/site-source.js";
import { installedJupyterStamps, jupyterResources } from "./jupyter.js";

/** Where each runtime lives once installed (Posit's r-builds/python-builds layout; Quarto unpacked by the agent). */
export const RUNTIME_DIRS = {
  r: (v: string) => `/opt/R/${v}`,
  python: (v: string) => `/opt/python/${v}`,
  quarto: (v: string) => `/opt/quarto/${v}`,
} as const;

/** The commands each runtime's default version puts on PATH, in its tree's bin/. */
const COMMANDS = { r: ["R", "Rscript"], python: ["python3", "pip3"], quarto: ["quarto"] } as const;
export const BIN_DIR = "/usr/local/bin";

/** A runtime's default: the one named, else the only version listed. */
export function defaultVersion(rt: SiteConfig["runtimes"]["r"]): string | null {
  return rt.default ?? (rt.versions.length === 1 ? rt.versions[0]! : null);
}

/** Package names of Posit's R and Python builds: the version is part of the name, so versions sit side by side. */
function packageName(kind: "r" | "python", version: string, facts: Facts): string {
  if (kind === "python") return `python-${version}`;
  return facts.os.family === "rhel" ? `R-${version}` : `r-${version}`;
}

/**
 * Image phase: every R and Python version in one package transaction (verified files), each Quarto
 * version unpacked into /opt/quarto/<v>, the default versions' commands on PATH, and Jupyter: a kernel
 * in every Python, JupyterLab with Workbench's extension in the default one.
 */
export function runtimeImageResources(facts: Facts, site: SiteConfig, jupyterInstalled: ReadonlySet<string> = new Set()): Resource[] {
  const rt = site.runtimes;
  const items: PackageItem[] = (["r", "python"] as const).flatMap((kind) =>
    rt[kind].versions.map((v) => ({ name: packageName(kind, v, facts), fetch: artifactFetch(specFor(kind, v, facts.os), site) })),
  );
  const resources: Resource[] = [];
  if (items.length) resources.push({ kind: "packages", label: "runtimes", items });
  for (const v of rt.quarto.versions) {
    resources.push({ kind: "archive", path: RUNTIME_DIRS.quarto(v), fetch: artifactFetch(specFor("quarto", v, facts.os), site), stripComponents: 1 });
  }
  for (const kind of ["r", "python", "quarto"] as const) {
    const v = defaultVersion(rt[kind]);
    if (v === null) continue;
    for (const name of COMMANDS[kind]) resources.push({ kind: "symlink", path: `${BIN_DIR}/${name}`, target: `${RUNTIME_DIRS[kind](v)}/bin/${name}` });
  }
  resources.push(...jupyterResources(site, jupyterInstalled));
  return resources;
}

/** R, Python and Quarto: image only (nothing about them differs between roles). */
export const runtimesComponent: Component<undefined, Set<string>> = {
  name: "runtimes",
  roles: ["head", "login", "compute"],
  needsSite: true,
  wants: () => [],
  image: {
    gather: (_facts, _site, ctx) => installedJupyterStamps(ctx.root),
    wants: runtimeImageResources,
  },
};
