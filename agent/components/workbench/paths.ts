import path from "node:path";
import type { SiteConfig } from "../../site/types.js";

export const SERVER_UNIT = "rstudio-server.service";
export const LAUNCHER_UNIT = "rstudio-launcher.service";
/** Declared in this order: a change that touches both restarts the launcher first, then the server. */
export const WORKBENCH_UNITS = [LAUNCHER_UNIT, SERVER_UNIT] as const;

export const SECURE_COOKIE_KEY = "secure-cookie-key";
export const LAUNCHER_PEM = "launcher.pem";
export const LAUNCHER_PUB = "launcher.pub";
export const KEY_FILES = [SECURE_COOKIE_KEY, LAUNCHER_PEM, LAUNCHER_PUB] as const;

export const clusterConf = (cluster: string) => `launcher.${cluster}.conf`;
export const profilesConf = (cluster: string) => `launcher.${cluster}.profiles.conf`;
export const resourcesConf = (cluster: string) => `launcher.${cluster}.resources.conf`;

/** The head node's manifest of the shared configuration, written last: login nodes trust a complete set only. */
export function manifestPath(site: SiteConfig): string {
  return path.posix.join(site.storage.workbench, "etc/pwb-agent/manifest.json");
}

export function configFile(site: SiteConfig, name: string): string {
  return path.posix.join(site.storage.configDir, name);
}

/** A login node's kernel and PAM limits for many concurrent sessions (login/resources.ts). */
export const SYSCTL_PATH = "/etc/sysctl.d/90-pwb-workbench.conf";
export const LIMITS_PATH = "/etc/security/limits.d/90-rstudio-server.conf";

/** Node-local state of the login role: what each service last started with. */
export const LOGIN_STATE_DIR = "/var/lib/pwb-agent/workbench";
export const inputsStamp = (unit: string) => `${LOGIN_STATE_DIR}/${unit.replace(/\.service$/, "")}.inputs`;

export const dropInPath = (unit: string) => `/etc/systemd/system/${unit}.d/pwb-agent.conf`;

/**
 * Which service reads a shared file, so a change restarts exactly that service: the launcher reads
 * its own files and the key pair; rserver reads the rest (and signs launcher requests with the key).
 */
export function readersOf(fileName: string): string[] {
  // Every Workbench program reads logging.conf.
  if (fileName === LAUNCHER_PEM || fileName === LAUNCHER_PUB || fileName === "logging.conf") return [LAUNCHER_UNIT, SERVER_UNIT];
  if (fileName === "launcher.conf" || /^launcher\.[^.]+\.(conf|profiles\.conf|resources\.conf)$/.test(fileName)) return [LAUNCHER_UNIT];
  return [SERVER_UNIT];
}
