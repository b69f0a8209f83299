import { readTextMaybe } from "../engine/fsutil.js";
import type { Root } from "../engine/root.js";
import type { CommandRunner } from "../engine/runner.js";
import { configFile, WORKBENCH_UNITS } from "../components/workbench/paths.js";
import { MAX_SHARED_FILE_BYTES } from "../components/workbench/shared-state.js";
import type { Role } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import { fail, ok, skipped, type Check } from "./checks.js";
import { checkDatabase, targetFromDatabaseConf } from "./database.js";
import { checkHttp, checkServiceActive, checkSharedStorage, SIMULATED } from "./system.js";
import { checkConfig, checkDropIns, checkKeys } from "./workbench.js";

export interface DoctorEnv {
  root: Root;
  runner: CommandRunner;
  role: Role;
  site: SiteConfig | null;
  /** How --site was resolved, for the site row. */
  siteSource: string;
}

const check = (name: string, run: Check["run"]): Check => ({ name, run });

/** The database as Workbench will use it: credentials from the shared database.conf. */
function databaseCheck(env: DoctorEnv, site: SiteConfig): Check {
  return check("database", async () => {
    const p = configFile(site, "database.conf");
    const text = await readTextMaybe(env.root.path(p), MAX_SHARED_FILE_BYTES).catch(() => null);
    if (text === null) return fail(`${p} is missing: nothing to connect with`);
    return checkDatabase(targetFromDatabaseConf(text));
  });
}

function storageChecks(env: DoctorEnv, site: SiteConfig, which: Array<"workbench" | "home">): Check[] {
  const probe = { workbench: site.storage.workbench, home: site.storage.sharedStoragePath };
  return which.map((w) => check(`storage ${site.storage[w]}`, () => checkSharedStorage(env.root, site.storage[w], probe[w])));
}

/** What "healthy" means for each role; a login node gets the full set. */
export function checksFor(env: DoctorEnv): Check[] {
  const { site, root, runner } = env;
  if (site === null) {
    return [check("site", async () => fail(`no site config (${env.siteSource}): pass --site FILE`))];
  }
  const siteRow = check("site", async () => ok(`${site.source}: Workbench ${site.workbench.version}`));
  const http = (name: string, url: string, expectOk: boolean) => check(name, async () => (root.live ? checkHttp(url, expectOk) : skipped(SIMULATED)));
  switch (env.role) {
    case "login":
      return [
        siteRow,
        check("shared config", () => checkConfig(root, site)),
        check("keys", () => checkKeys(root, site)),
        check("systemd drop-ins", () => checkDropIns(root, site)),
        ...WORKBENCH_UNITS.map((u) => check(u, () => checkServiceActive(root, runner, u, true))),
        http("health-check", `http://127.0.0.1:${site.workbench.port}/health-check`, true),
        http("launcher", `http://127.0.0.1:${site.workbench.launcherPort}/`, false),
        databaseCheck(env, site),
        ...storageChecks(env, site, ["workbench", "home"]),
      ];
    case "head":
      return [
        siteRow,
        check("shared config", () => checkConfig(root, site)),
        check("keys", () => checkKeys(root, site)),
        ...WORKBENCH_UNITS.map((u) => check(u, () => checkServiceActive(root, runner, u, false))),
        databaseCheck(env, site),
        ...storageChecks(env, site, ["workbench", "home"]),
      ];
    case "compute":
      return [siteRow, ...WORKBENCH_UNITS.map((u) => check(u, () => checkServiceActive(root, runner, u, false))), ...storageChecks(env, site, ["home"])];
  }
}
