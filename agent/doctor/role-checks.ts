import { readTextMaybe } from "../nodefs/files.js";
import type { Root } from "../nodefs/root.js";
import type { CommandRunner } from "../engine/runner.js";
import type { Change } from "../engine/types.js";
import { configFile, WORKBENCH_UNITS } from "../components/workbench/paths.js";
import { MAX_SHARED_FILE_BYTES } from "../components/workbench/shared-state.js";
import type { Facts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import { checkAlbSyncFresh, checkLastApply, driftOutcome, noAlb, unitsOutcome } from "./agent-state.js";
import { fail, ok, skipped, type Check } from "./checks.js";
import { checkApptainerExec, checkApptainerVersion, checkGpuDriver, checkNvidiaSmi } from "./containers.js";
import { checkDatabase, targetFromDatabaseConf } from "./database.js";
import { checkPlugstack, checkPluginLoads, checkSlurmctld, checkSpankWrapper } from "./slurm.js";
import { checkHttp, checkServiceActive, checkSharedStorage, SIMULATED } from "./system.js";
import { checkConfig, checkDropIns, checkKeys } from "./workbench.js";

export interface DoctorEnv {
  root: Root;
  runner: CommandRunner;
  facts: Facts;
  site: SiteConfig | null;
  /** How --site was resolved, for the site row. */
  siteSource: string;
  /** A read-only plan of this node (all components, or only some): the drift and units checks. */
  planChanges(only?: readonly string[]): Promise<Change[]>;
  /** Now, in ms (freshness checks); injectable for tests. */
  now?: () => number;
}

/** 127.0.0.0/8, ::1 and localhost: what a simulated root may contact. */
export const isLoopback = (host: string) => /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "localhost";

const check = (id: string, name: string, run: Check["run"], timeoutMs?: number): Check => ({ id, name, run, ...(timeoutMs ? { timeoutMs } : {}) });

/** The database as Workbench will use it: credentials from the shared database.conf. */
function databaseCheck(env: DoctorEnv, site: SiteConfig): Check {
  return check("workbench.database", "database", async () => {
    const p = configFile(site, "database.conf");
    const text = await readTextMaybe(env.root.path(p), MAX_SHARED_FILE_BYTES).catch(() => null);
    if (text === null) return fail(`${p} is missing: nothing to connect with`, "run `pwb-agent apply` on the head node");
    const target = targetFromDatabaseConf(text);
    // A simulated root is not this machine's node: only a database on this machine is contacted.
    if (!env.root.live && !isLoopback(target.host)) return skipped(`simulated root: ${target.host} is outside this machine, not contacted`);
    return checkDatabase(target);
  });
}

function storageChecks(env: DoctorEnv, site: SiteConfig, which: Array<"workbench" | "home">): Check[] {
  const probe = { workbench: site.storage.workbench, home: site.storage.sharedStoragePath };
  return which.map((w) => check(`storage.${w}`, `storage ${site.storage[w]}`, () => checkSharedStorage(env.root, site.storage[w], probe[w])));
}

/** Every role: the agent itself converged this node and keeps it converged. */
function agentChecks(env: DoctorEnv): Check[] {
  const now = env.now ?? Date.now;
  const wanted = env.facts.role === "head" && env.site?.alb
    ? "pwb-agent.service, pwb-agent-doctor.timer and pwb-alb-sync.timer enabled"
    : "pwb-agent.service and pwb-agent-doctor.timer enabled, pwb-alb-sync.timer disabled";
  return [
    check("agent.last-apply", "last apply", () => checkLastApply(env.root, now())),
    check("agent.drift", "drift", async () => {
      // The full plan reads the database password: from SSM that is AWS, which a simulated root never calls.
      if (!env.root.live && env.site && "ssm" in env.site.database.password) return skipped("simulated root: the plan needs the SSM password parameter, not fetched");
      return driftOutcome(await env.planChanges());
    }, 60_000),
    check("agent.units", "agent units", async () => unitsOutcome(await env.planChanges(["units"]), wanted), 60_000),
  ];
}

/** Head and login nodes submit jobs: the plugin must load in their Slurm clients too. */
function spankLoadCheck(env: DoctorEnv, site: SiteConfig): Check[] {
  if (!site.spank) return [];
  const s = site.spank;
  return [check("spank.plugin", "spank plugin", () => checkPluginLoads(env.root, env.runner, site, s))];
}

function headChecks(env: DoctorEnv, site: SiteConfig): Check[] {
  const { root, runner } = env;
  const now = env.now ?? Date.now;
  return [
    check("workbench.shared-config", "shared config", () => checkConfig(root, site)),
    check("workbench.keys", "keys", () => checkKeys(root, site)),
    ...WORKBENCH_UNITS.map((u) => check(`service.${u.replace(/\.service$/, "")}`, u, () => checkServiceActive(root, runner, u, false))),
    databaseCheck(env, site),
    ...storageChecks(env, site, ["workbench", "home"]),
    check("slurm.ctld", "slurmctld", () => checkSlurmctld(root, runner, site)),
    ...(site.spank ? [check("spank.registration", "plugstack", () => checkPlugstack(root, site, site.spank!))] : []),
    ...spankLoadCheck(env, site),
    check("alb-sync.fresh", "alb-sync", () => (site.alb ? checkAlbSyncFresh(root, now()) : Promise.resolve(noAlb()))),
  ];
}

function computeChecks(env: DoctorEnv, site: SiteConfig): Check[] {
  const { root, runner, facts } = env;
  const gpu = facts.gpu;
  const containers = site.apptainer !== null || site.containers.enabled;
  return [
    ...WORKBENCH_UNITS.map((u) => check(`service.${u.replace(/\.service$/, "")}`, u, () => checkServiceActive(root, runner, u, false))),
    check("service.slurmd", "slurmd.service", () => checkServiceActive(root, runner, "slurmd.service", true)),
    ...storageChecks(env, site, ["home"]),
    ...(containers
      ? [
          check("apptainer.version", "apptainer", () => checkApptainerVersion(root, runner, site)),
          check("apptainer.exec", "apptainer exec", () => checkApptainerExec(root, runner, site), 70_000),
        ]
      : []),
    ...(site.spank ? [check("spank.wrapper", "spank wrapper", () => checkSpankWrapper(root, site.spank!))] : []),
    ...(gpu
      ? [check("gpu.driver", "gpu driver", () => checkGpuDriver(root, gpu)), check("gpu.nvidia-smi", "nvidia-smi", () => checkNvidiaSmi(root, runner, gpu), 20_000)]
      : []),
  ];
}

function loginChecks(env: DoctorEnv, site: SiteConfig): Check[] {
  const { root, runner } = env;
  const http = (id: string, name: string, url: string, expectOk: boolean) => check(id, name, async () => (root.live ? checkHttp(url, expectOk) : skipped(SIMULATED)));
  return [
    check("workbench.shared-config", "shared config", () => checkConfig(root, site)),
    check("workbench.keys", "keys", () => checkKeys(root, site)),
    check("workbench.drop-ins", "systemd drop-ins", () => checkDropIns(root, site)),
    ...WORKBENCH_UNITS.map((u) => check(`service.${u.replace(/\.service$/, "")}`, u, () => checkServiceActive(root, runner, u, true))),
    http("workbench.health-check", "health-check", `http://127.0.0.1:${site.workbench.port}/health-check`, true),
    http("workbench.launcher", "launcher", `http://127.0.0.1:${site.workbench.launcherPort}/`, false),
    ...(site.telemetry.metrics.enabled
      ? [http("workbench.metrics", "metrics", `http://127.0.0.1:${site.telemetry.metrics.port}/metrics`, true)]
      : []),
    databaseCheck(env, site),
    ...storageChecks(env, site, ["workbench", "home"]),
    ...spankLoadCheck(env, site),
  ];
}

/** What "healthy" means for each role, then the agent's own state. */
export function checksFor(env: DoctorEnv): Check[] {
  const { site } = env;
  if (site === null) {
    return [check("site", "site", async () => fail(`no site config (${env.siteSource}): pass --site FILE`, "pass --site FILE (a path or s3:// URL)"))];
  }
  const siteRow = check("site", "site", async () => ok(`${site.source}: Workbench ${site.workbench.version}`));
  const role = { head: headChecks, login: loginChecks, compute: computeChecks }[env.facts.role](env, site);
  return [siteRow, ...role, ...agentChecks(env)];
}

