import type { Facts } from "../../facts/types.js";
import type { SiteConfig } from "../../site/types.js";
import { checkAlbSyncFresh, checkLastApply, checkOwed, driftOutcome, noAlb, unitsOutcome } from "./agent-state.js";
import { check, ok, skipped, type Check, type CheckContext, type SectionedChecks } from "../../doctor/checks.js";
import { checkTextfileDir } from "./metrics-dir.js";
import { checkSlurmctld } from "../../doctor/slurm.js";
import { checkServiceActive, checkSharedStorage } from "../../doctor/system.js";

function storageChecks(ctx: CheckContext, site: SiteConfig, which: Array<"workbench" | "home">): Check[] {
  const probe = { workbench: site.storage.workbench, home: site.storage.sharedStoragePath };
  return which.map((w) => check(`storage.${w}`, `storage ${site.storage[w]}`, () => checkSharedStorage(ctx.root, site.storage[w], probe[w])));
}

/** The agent's metrics land where the node's exporter reads them (also without a site: its default). */
export const metricsCheck = (root: CheckContext["root"], site: SiteConfig | null): Check =>
  check("agent.metrics", "metrics textfiles", () => checkTextfileDir(root, site?.telemetry.textfileDirectory));

/** Every role: the agent itself converged this node and keeps it converged (on the head node, alb-sync too). */
function agentChecks(facts: Facts, site: SiteConfig, ctx: CheckContext): Check[] {
  const wanted = facts.role === "head" && site.alb
    ? "pwb-agent.service, pwb-agent-doctor.timer and pwb-alb-sync.timer enabled"
    : "pwb-agent.service and pwb-agent-doctor.timer enabled, pwb-alb-sync.timer disabled";
  return [
    ...(facts.role === "head" ? [check("alb-sync.fresh", "alb-sync", () => (site.alb ? checkAlbSyncFresh(ctx.root, ctx.now()) : Promise.resolve(noAlb())))] : []),
    check("agent.last-apply", "last apply", () => checkLastApply(ctx.root, ctx.now())),
    check("agent.owed", "owed restarts", () => checkOwed(ctx.root, ctx.runner)),
    check("agent.drift", "drift", async () => {
      // The full plan reads the database password: from SSM that is AWS, which a simulated root never calls.
      if (!ctx.root.live && "ssm" in site.database.password) return skipped("simulated root: the plan needs the SSM password parameter, not fetched");
      return driftOutcome(await ctx.planChanges());
    }, 60_000),
    check("agent.units", "agent units", async () => unitsOutcome(await ctx.planChanges(["units"]), wanted), 60_000),
    metricsCheck(ctx.root, site),
  ];
}

/** What no component owns: the site itself, the node's shared storage and Slurm daemon, the agent's own state. */
export function nodeChecks(facts: Facts, site: SiteConfig, ctx: CheckContext): SectionedChecks {
  const { root, runner } = ctx;
  const platform = {
    head: () => [...storageChecks(ctx, site, ["workbench", "home"]), check("slurm.ctld", "slurmctld", () => checkSlurmctld(root, runner, site))],
    login: () => storageChecks(ctx, site, ["workbench", "home"]),
    compute: () => [check("service.slurmd", "slurmd.service", () => checkServiceActive(root, runner, "slurmd.service", true)), ...storageChecks(ctx, site, ["home"])],
  }[facts.role]();
  return {
    site: [check("site", "site", async () => ok(`${site.source}: Workbench ${site.workbench.version}`))],
    platform,
    agent: agentChecks(facts, site, ctx),
  };
}
