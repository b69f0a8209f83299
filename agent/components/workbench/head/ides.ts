import type { SiteConfig } from "../../../site/types.js";
import { jupyterExe, jupyterPython } from "../../runtimes/jupyter.js";
import type { Features } from "../features.js";
import { keyValueFile, MANAGED_HEADER, type Entry } from "../config/ini-write.js";
import { plainFile, type SharedFile } from "../config/file.js";

/**
 * rsession.conf, jupyter.conf, vscode.conf and (from 2024.12) positron.conf. Sessions run on compute
 * nodes. Each IDE's idle timeout is written even at its default: Workbench's compiled defaults (used
 * when a key is absent) are not the values it ships, and leave VS Code and Positron sessions running
 * forever (Posit admin guide, "Idle Timeouts by Session Type").
 */
export function ideConfs(site: SiteConfig, f: Features): SharedFile[] {
  const ides = site.workbench.ides;
  const rsession: Entry[] = [["session-timeout-minutes", ides.rstudio.sessionTimeoutMinutes]];
  const jupyter: Entry[] = [
    ["labs-enabled", ides.jupyter.enabled && ides.jupyter.labs],
    ["notebooks-enabled", ides.jupyter.enabled && ides.jupyter.notebooks],
    // Idle kernels are culled first; an idle server with no kernel left is shut down after that.
    ["session-cull-minutes", ides.jupyter.cullMinutes],
    ["session-shutdown-minutes", ides.jupyter.shutdownMinutes],
  ];
  // The default Python's jupyter: the image phase installs JupyterLab there (runtimes/jupyter.ts).
  const python = jupyterPython(site);
  if (python) jupyter.push(["jupyter-exe", jupyterExe(python)]);

  const vscode: Entry[] = [["enabled", ides.vscode.enabled]];
  if (ides.vscode.enabled) vscode.push(["exe", f.codeServerExe], ["args", "--host=0.0.0.0"]);
  vscode.push(["session-timeout-kill-hours", ides.vscode.timeoutKillHours]);

  const files = [
    plainFile("rsession.conf", keyValueFile(rsession, MANAGED_HEADER)),
    plainFile("jupyter.conf", keyValueFile(jupyter, MANAGED_HEADER)),
    plainFile("vscode.conf", keyValueFile(vscode, MANAGED_HEADER)),
  ];
  if (f.positron) {
    const positron: Entry[] = [["enabled", ides.positron.enabled], ["session-timeout-kill-hours", ides.positron.timeoutKillHours]];
    files.push(plainFile("positron.conf", keyValueFile(positron, MANAGED_HEADER)));
  }
  return files;
}
