import { boolean, enum as oneOf, number, record, strictObject, string, union } from "zod";
import { expected, port, posixName, webAddress } from "../fields.js";
import { atLeast, OLDEST_SUPPORTED, parseWorkbenchVersion } from "../version.js";

/*
 * workbench: — Posit Workbench on the login nodes (required: version and url).
 *
 *   workbench:
 *     version: 2024.12.1+563.pro5     # required; 2023.09.0 or newer
 *     url: https://workbench.example.com   # required; a trailing / is dropped
 *     port: 8787                      # www-port
 *     launcherPort: 5559
 *     adminGroup: null                # admin dashboard group; null: no dashboard
 *     superuserGroup: null
 *     debugLogging: false
 *     sharedConfigWaitSeconds: 120    # 0-480
 *     ides:                           # idle timeouts: Posit's shipped defaults; 0 turns one off
 *       rstudio: { sessionTimeoutMinutes: 480 }            # rsession.conf session-timeout-minutes
 *       jupyter: { enabled: true, labs: true, notebooks: false, cullMinutes: 360, shutdownMinutes: 120 }
 *       vscode: { enabled: true, timeoutKillHours: 8 }     # vscode.conf session-timeout-kill-hours
 *       positron: { enabled: false, timeoutKillHours: 8 }  # Workbench 2024.12.0 or newer
 *     audit: { rSessions: false, rConsole: none }   # none | input | all
 *     crashHandling: false
 *     rserver: {}                     # further rserver.conf keys (not the MANAGED_RSERVER_KEYS); values become strings, true/false → 1/0
 *     launcherEnv: {}                 # launcher-env variables, besides those other fields set
 */

/** Keys pwb-agent writes in rserver.conf itself: `workbench.rserver` may not override them. */
export const MANAGED_RSERVER_KEYS = new Set([
  "server-health-check-enabled", "www-port", "server-shared-storage-path", "load-balancing-enabled",
  "secure-cookie-key-file", "launcher-sessions-enabled", "launcher-address", "launcher-port",
  "launcher-sessions-callback-address", "launcher-sessions-clusters", "launcher-adhoc-clusters",
  "launcher-default-cluster", "launcher-sessions-create-container-user", "launcher-sessions-forward-container-environment",
  "launcher-sessions-forward-environment", "auth-pam-sessions-enabled", "r-versions-path", "audit-data-path",
  "monitor-data-path", "admin-enabled", "admin-group", "admin-superuser-group", "audit-r-sessions", "audit-r-console",
  // telemetry: (agent/site/sections/telemetry.ts)
  "metrics-enabled", "metrics-port", "server-access-log", "audited-jobs", "audited-jobs-storage-path",
]);

/** Variables launcher-env gets from other fields. */
const MANAGED_LAUNCHER_ENV = new Set(["SLURM_CONF", "APPTAINER_BIND", "SINGULARITY_BIND"]);

const workbenchVersion = string(expected("a Workbench version"))
  .refine((v) => parseWorkbenchVersion(v) !== null, expected("a Workbench version like 2024.12.1+563.pro5"))
  .refine((v) => {
    const parsed = parseWorkbenchVersion(v);
    return parsed === null || atLeast(parsed, OLDEST_SUPPORTED);
  }, expected(`Workbench ${OLDEST_SUPPORTED} or newer (the oldest version pwb-agent renders configuration for)`));

const flag = (fallback: boolean) => boolean(expected("true or false")).default(fallback);

/**
 * Idle timeouts, written out for every IDE: left unset, Workbench's compiled defaults apply, and they
 * differ from the configuration it ships (VS Code and Positron sessions would never time out). The
 * defaults here are the shipped ones (Posit admin guide, "Idle Timeouts by Session Type"); 0 disables.
 */
const IDLE_DEFAULTS = { rstudioMinutes: 480, jupyterCullMinutes: 360, jupyterShutdownMinutes: 120, killHours: 8 } as const;
const whole = (what: string, max: number, fallback: number) =>
  number(expected(`a number of ${what}`)).int(expected(`a whole number of ${what}`)).min(0, expected(`0 (off) to ${max} ${what}`)).max(max, expected(`0 (off) to ${max} ${what}`)).default(fallback);
const WEEK_MINUTES = 7 * 24 * 60;

const ides = strictObject({
    rstudio: strictObject({ sessionTimeoutMinutes: whole("minutes", WEEK_MINUTES, IDLE_DEFAULTS.rstudioMinutes) }).prefault({}),
    jupyter: strictObject({
      enabled: flag(true),
      labs: flag(true),
      notebooks: flag(false),
      cullMinutes: whole("minutes", WEEK_MINUTES, IDLE_DEFAULTS.jupyterCullMinutes),
      shutdownMinutes: whole("minutes", WEEK_MINUTES, IDLE_DEFAULTS.jupyterShutdownMinutes),
    }).prefault({}),
    vscode: strictObject({ enabled: flag(true), timeoutKillHours: whole("hours", 7 * 24, IDLE_DEFAULTS.killHours) }).prefault({}),
    positron: strictObject({ enabled: flag(false), timeoutKillHours: whole("hours", 7 * 24, IDLE_DEFAULTS.killHours) }).prefault({}),
  })
  .prefault({});

const scalar = union([string(), number(), boolean()], expected("a string, number or boolean"));
/** Extra `key=value` lines: keys that pwb-agent sets itself are refused, values must stay on one line. */
const extraSettings = (key: RegExp, keyIs: string, managed: ReadonlySet<string>, managedMessage: (key: string) => string) =>
  record(string().regex(key, expected(keyIs)), scalar)
    .default({})
    .superRefine((settings, ctx) => {
      for (const [k, value] of Object.entries(settings)) {
        if (managed.has(k)) ctx.addIssue({ code: "custom", path: [k], message: managedMessage(k) });
        if (typeof value === "string" && (/[\r\n\0]/.test(value) || value.trim() !== value)) {
          ctx.addIssue({ code: "custom", path: [k], message: "expected a single-line value without surrounding spaces" });
        }
      }
    })
    // As Workbench reads them: true/false are 1/0.
    .transform((settings) => Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === "boolean" ? (v ? "1" : "0") : String(v)])));

/** Workbench's own default port (rserver www-port): what login nodes serve and the ALB targets. */
export const WORKBENCH_PORT = 8787;

export const workbenchSection = strictObject({
  version: workbenchVersion,
  url: webAddress.transform((u) => u.replace(/\/+$/, "")),
  port: port.default(WORKBENCH_PORT),
  launcherPort: port.default(5559),
  adminGroup: posixName.nullable().default(null),
  superuserGroup: posixName.nullable().default(null),
  debugLogging: flag(false),
  sharedConfigWaitSeconds: number(expected("a number of seconds")).int(expected("a whole number of seconds")).min(0, expected("0 to 480 seconds")).max(480, expected("0 to 480 seconds (a login node has 600 s to boot)")).default(120),
  ides,
  audit: strictObject({
      rSessions: flag(false),
      rConsole: oneOf(["none", "input", "all"], expected('one of "none", "input", "all"')).default("none"),
    })
    .prefault({}),
  crashHandling: flag(false),
  rserver: extraSettings(/^[a-z0-9][a-z0-9-]*$/, "an rserver.conf key (lower-case letters, digits, '-')", MANAGED_RSERVER_KEYS, (k) => `expected a key pwb-agent does not manage: set ${k} through its own site field`),
  launcherEnv: extraSettings(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name", MANAGED_LAUNCHER_ENV, (k) => `expected a variable pwb-agent does not set: ${k} comes from slurm.conf / containers.bind`),
});
