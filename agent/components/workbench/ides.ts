import type { SiteConfig } from "../../site/types.js";
import { jupyterExe, jupyterPython } from "../runtimes/jupyter.js";
import type { Features } from "./features.js";
import { keyValueFile, MANAGED_HEADER, type Entry } from "./ini.js";
import { plainFile, type SharedFile } from "./shared-file.js";

/** jupyter.conf, vscode.conf and (from 2024.12) positron.conf. Sessions run on compute nodes. */
export function ideConfs(site: SiteConfig, f: Features): SharedFile[] {
  const ides = site.workbench.ides;
  const jupyter: Entry[] = [
    ["labs-enabled", ides.jupyter.enabled && ides.jupyter.labs],
    ["notebooks-enabled", ides.jupyter.enabled && ides.jupyter.notebooks],
  ];
  // The default Python's jupyter: the image phase installs JupyterLab there (runtimes/jupyter.ts).
  const python = jupyterPython(site);
  if (python) jupyter.push(["jupyter-exe", jupyterExe(python)]);

  const vscode: Entry[] = [["enabled", ides.vscode.enabled]];
  if (ides.vscode.enabled) vscode.push(["exe", f.codeServerExe], ["args", "--host=0.0.0.0"]);

  const files = [plainFile("jupyter.conf", keyValueFile(jupyter, MANAGED_HEADER)), plainFile("vscode.conf", keyValueFile(vscode, MANAGED_HEADER))];
  if (f.positron) files.push(plainFile("positron.conf", keyValueFile([["enabled", ides.positron.enabled]], MANAGED_HEADER)));
  return files;
}
