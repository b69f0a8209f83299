import type { Resource } from "../../../engine/types.js";
import type { SiteConfig } from "../../../site/types.js";
import type { LoginInputs } from "../inputs.js";
import type { Manifest } from "../config/manifest.js";
import { dropInPath, inputsStamp, LIMITS_PATH, LOGIN_STATE_DIR, readersOf, SERVER_UNIT, SYSCTL_PATH, WORKBENCH_UNITS } from "../paths.js";

/** Open files rserver may hold: one per proxied connection and session channel. */
export const NOFILE_LIMIT = 32768;

/**
 * The systemd drop-in that points a Workbench service at the shared configuration. RequiresMountsFor
 * orders it after the shared file system at boot (and stops it if that goes away); LimitNOFILE is
 * what a systemd service gets (limits.conf applies to PAM logins only).
 */
export function dropIn(unit: string, site: SiteConfig): string {
  const lines = [
    "# Written by pwb-agent: this login node runs Workbench from the configuration the head node",
    "# renders on shared storage. Local edits are overwritten by the next apply.",
    "[Unit]",
    `RequiresMountsFor=${site.storage.configDir}`,
    "",
    "[Service]",
    `Environment="RSTUDIO_CONFIG_DIR=${site.storage.configDir}"`,
  ];
  if (unit === SERVER_UNIT) lines.push(`LimitNOFILE=${NOFILE_LIMIT}`);
  return lines.join("\n") + "\n";
}

/** Hash lines of the shared files a service reads: when they change, the service restarts. */
export function stampFor(unit: string, manifest: Manifest): string {
  const lines = manifest.files.filter((f) => readersOf(f.name).includes(unit)).map((f) => `${f.sha256}  ${f.name}`);
  return [`# The shared files ${unit} read when pwb-agent last (re)started it (from the head node's manifest).`, ...lines, ""].join("\n");
}

/**
 * Login node: the node-local half (drop-ins, kernel and file-handle limits) and the two services,
 * enabled and running. It never writes the shared configuration. While the shared configuration is
 * not ready (head node still rendering it, shared storage not mounted), the services stay as they
 * are: starting Workbench without its database and keys would make it create its own.
 */
export function loginResources(site: SiteConfig, inputs: LoginInputs): Resource[] {
  const resources: Resource[] = WORKBENCH_UNITS.map((unit) => ({
    kind: "file" as const,
    path: dropInPath(unit),
    content: dropIn(unit, site),
    mode: 0o644,
    notifies: [unit],
  }));
  resources.push(
    {
      kind: "file",
      path: SYSCTL_PATH,
      content: "# Written by pwb-agent for Posit Workbench (many concurrent sessions).\nnet.unix.max_dgram_qlen=8192\nnet.core.netdev_max_backlog=65535\n",
      mode: 0o644,
      // Re-applies every sysctl.d file, as at boot.
      notifies: ["systemd-sysctl.service"],
    },
    {
      kind: "file",
      path: LIMITS_PATH,
      content: `# Written by pwb-agent for Posit Workbench.\nrstudio-server soft nofile ${NOFILE_LIMIT}\nrstudio-server hard nofile ${NOFILE_LIMIT}\n`,
      mode: 0o644,
    },
    { kind: "dir", path: LOGIN_STATE_DIR, mode: 0o700, owner: "root", group: "root" },
  );
  const { shared } = inputs;
  if (shared.ready) {
    for (const unit of WORKBENCH_UNITS) {
      resources.push({
        kind: "file",
        path: inputsStamp(unit),
        content: stampFor(unit, shared.manifest),
        mode: 0o600,
        owner: "root",
        group: "root",
        secret: true,
        notifies: [unit],
      });
    }
  }
  for (const unit of WORKBENCH_UNITS) {
    resources.push({ kind: "service", name: unit, enabled: true, ...(shared.ready ? { active: true } : {}) });
  }
  return resources;
}
