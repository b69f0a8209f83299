import { check, skipped, type Check, type CheckContext, type SectionedChecks } from "../../../doctor/checks.js";
import { checkHttp, checkServiceActive, SIMULATED } from "../../../doctor/system.js";
import type { Facts } from "../../../facts/types.js";
import type { SiteConfig } from "../../../site/types.js";
import { checkConfig, checkDropIns, checkKeys } from "./config.js";
import { databaseCheck } from "./database.js";
import { WORKBENCH_UNITS } from "../paths.js";

/** Both services: active on login nodes, where Workbench runs, inactive on every other role. */
function serviceChecks(ctx: CheckContext, active: boolean): Check[] {
  return WORKBENCH_UNITS.map((u) => check(`service.${u.replace(/\.service$/, "")}`, u, () => checkServiceActive(ctx.root, ctx.runner, u, active)));
}

/** Workbench's own endpoints on this node; a simulated root's are not this machine's. */
function endpointChecks(ctx: CheckContext, site: SiteConfig): Check[] {
  const http = (id: string, name: string, url: string, expectOk: boolean) => check(id, name, async () => (ctx.root.live ? checkHttp(url, expectOk) : skipped(SIMULATED)));
  return [
    http("workbench.health-check", "health-check", `http://127.0.0.1:${site.workbench.port}/health-check`, true),
    http("workbench.launcher", "launcher", `http://127.0.0.1:${site.workbench.launcherPort}/`, false),
    ...(site.telemetry.metrics.enabled
      ? [http("workbench.metrics", "metrics", `http://127.0.0.1:${site.telemetry.metrics.port}/metrics`, true)]
      : []),
  ];
}

/** Head: the shared configuration it renders; login: that configuration in use and Workbench serving; compute: Workbench off. */
export function workbenchChecks(facts: Facts, site: SiteConfig, ctx: CheckContext): SectionedChecks {
  const config = check("workbench.shared-config", "shared config", () => checkConfig(ctx.root, site));
  const keys = check("workbench.keys", "keys", () => checkKeys(ctx.root, site));
  switch (facts.role) {
    case "head":
      return { service: [config, keys, ...serviceChecks(ctx, false), databaseCheck(ctx, site)] };
    case "login":
      return {
        service: [
          config,
          keys,
          check("workbench.drop-ins", "systemd drop-ins", () => checkDropIns(ctx.root, site)),
          ...serviceChecks(ctx, true),
          ...endpointChecks(ctx, site),
          databaseCheck(ctx, site),
        ],
      };
    case "compute":
      return { service: serviceChecks(ctx, false) };
  }
}
