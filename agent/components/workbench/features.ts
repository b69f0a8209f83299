import { atLeast, parseWorkbenchVersion } from "../../site/version.js";

/**
 * What a Workbench version understands, where it differs between the versions pwb-agent supports
 * (2023.09.0 and newer). Each entry names the release note that introduced the change.
 */
export interface Features {
  /** load-balancer `delete-node-on-exit` (2023.09.0, rstudio-pro#4888). */
  deleteNodeOnExit: boolean;
  /** Slurm plugin `default-partition` (2023.09.0, launcher#551). */
  defaultPartition: boolean;
  /** Native Singularity sessions: `singularity-image-directory` in profiles (2023.12.0, launcher#447). */
  singularityImages: boolean;
  /** `nginx.worker.conf` tuning file (the HA reference writes it from 2023.12). */
  nginxWorkerConf: boolean;
  /** 2024.09.0 deprecated launcher-sessions-forward-container-environment for launcher-sessions-forward-environment (rstudio-pro#5895). */
  forwardEnvironmentKey: "launcher-sessions-forward-environment" | "launcher-sessions-forward-container-environment";
  /** 2024.09.0 replaced code-server with PWB Code Server (rstudio-pro#6265). */
  codeServerExe: string;
  /** Positron Pro sessions, `positron.conf` (2024.12.0, rstudio-pro#6861). */
  positron: boolean;
  /** Slurm plugin `default-gpu-brand` (the HA reference sets it from 2024). */
  defaultGpuBrand: boolean;
}

export function featuresFor(versionText: string): Features {
  const v = parseWorkbenchVersion(versionText);
  if (!v) throw new Error(`not a Workbench version: ${versionText}`); // the site schema rejects these first
  const since = (x: string) => atLeast(v, x);
  return {
    deleteNodeOnExit: since("2023.09.0"),
    defaultPartition: since("2023.09.0"),
    singularityImages: since("2023.12.0"),
    nginxWorkerConf: since("2023.12.0"),
    forwardEnvironmentKey: since("2024.09.0") ? "launcher-sessions-forward-environment" : "launcher-sessions-forward-container-environment",
    codeServerExe: since("2024.09.0")
      ? "/usr/lib/rstudio-server/bin/pwb-code-server/bin/code-server"
      : "/usr/lib/rstudio-server/bin/code-server/bin/code-server",
    positron: since("2024.12.0"),
    defaultGpuBrand: since("2024.04.0"),
  };
}
