import { createHash } from "node:crypto";
import type { Root } from "../../nodefs/root.js";
import type { Resource } from "../../engine/types.js";
import { mirrorBase } from "../../site/sections/mirror.js";
import type { SiteConfig } from "../../site/types.js";
import { CACHE_DIR } from "../../artifacts/site-source.js";

/** What every Python gets (a kernel for JupyterLab and for Positron/VS Code notebooks). */
export const KERNEL_PACKAGES = ["ipykernel"];
/**
 * What the default Python gets on top, as Posit documents it for JupyterLab 4 sessions in Workbench:
 * JupyterLab and the pwb_jupyterlab extension (home button, proxied servers, session-expiry notice).
 */
export const JUPYTERLAB_PACKAGES = ["jupyterlab", "pwb_jupyterlab"];

const STAMP_DIR = "/var/lib/pwb-agent/jupyter";

function jupyterStamp(inputs: object): string {
  return `${STAMP_DIR}/${(inputs as { python: string }).python}-${createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 12)}.json`;
}

/** The stamps of pip installs done on this node (the runtimes component's image gather). */
export async function installedJupyterStamps(root: Root): Promise<Set<string>> {
  const names = await root.readdir(STAMP_DIR).catch(() => [] as string[]);
  return new Set(names.map((n) => `${STAMP_DIR}/${n}`));
}

/** The Python whose `jupyter` Workbench runs (jupyter.conf's jupyter-exe): the site's default Python. */
export function jupyterPython(site: SiteConfig): string | null {
  return site.workbench.ides.jupyter.enabled ? site.runtimes.python.default : null;
}

/** jupyter-exe: `jupyter` of the default Python, which the image phase installs. */
export function jupyterExe(version: string): string {
  return `/opt/python/${version}/bin/jupyter`;
}

/**
 * Image phase, per Python version: pip installs the packages, from a wheelhouse the agent fetched from the
 * mirror (`<mirror>/jupyter/wheelhouse-python-<v>.tar.gz`, sha256-verified like every artifact; s3://
 * included) with `--no-index`, or from PyPI when there is no mirror. A stamp named after everything that
 * decides the result guards the command, so a baked node runs nothing and a changed package list runs pip again.
 */
export function jupyterResources(site: SiteConfig, installed: ReadonlySet<string>): Resource[] {
  if (!site.workbench.ides.jupyter.enabled) return [];
  const lab = jupyterPython(site);
  const base = site.mirror ? mirrorBase(site.mirror.url) : null;
  const resources: Resource[] = [];
  for (const v of site.runtimes.python.versions) {
    const packages = v === lab ? [...KERNEL_PACKAGES, ...JUPYTERLAB_PACKAGES] : KERNEL_PACKAGES;
    const python = `/opt/python/${v}/bin/python3`;
    const entry = `jupyter/wheelhouse-python-${v}.tar.gz`;
    const sha256 = base ? (site.checksums[entry] ?? { manifest: `${base}/SHA256SUMS`, entry }) : null;
    const inputs = { python: v, packages, wheelhouse: sha256 === null ? "pypi" : typeof sha256 === "string" ? sha256 : `${base}/${entry}` };
    const stamp = jupyterStamp(inputs);
    let source: string[] = [];
    if (base && sha256 !== null) {
      const dir = `${CACHE_DIR}/jupyter/python-${v}`;
      source = ["--no-index", "--find-links", dir];
      // Only while pip still has to run: a baked node (or one whose cache was cleaned) fetches nothing.
      if (!installed.has(stamp)) resources.push({ kind: "archive", path: dir, stripComponents: 0, fetch: { label: `jupyter wheelhouse for python ${v}`, url: `${base}/${entry}`, sha256, path: `${CACHE_DIR}/${entry}` } });
    }
    resources.push(
      { kind: "command", label: `jupyter: python ${v}: pip install ${packages.join(" ")}`, argv: [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location", ...source, ...packages], creates: stamp },
      { kind: "file", path: stamp, content: JSON.stringify(inputs, null, 2) + "\n", mode: 0o644, owner: "root", group: "root" },
    );
  }
  return resources;
}
