import { activeComponents, type AnyComponent } from "../../components/index.js";
import type { CommandRunner } from "../../engine/runner.js";
import type { Change } from "../../engine/types.js";
import type { Facts } from "../../facts/types.js";
import type { Root } from "../../nodefs/root.js";
import type { SiteConfig } from "../../site/types.js";
import { check, CHECK_SECTIONS, fail, type Check, type CheckContext } from "../../doctor/checks.js";
import { metricsCheck, nodeChecks } from "./node-checks.js";

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

/**
 * What "healthy" means for this node: the node's own checks and those of every component active on its
 * role, section by section (within one, the node's first, then the components' in apply order).
 */
export function checksFor(env: DoctorEnv, components: readonly AnyComponent[] = activeComponents(env.facts, env.site)): Check[] {
  const { facts, site } = env;
  if (site === null) {
    return [
      check("site", "site", async () => fail(`no site config (${env.siteSource}): pass --site FILE`, "pass --site FILE (a path or s3:// URL)")),
      metricsCheck(env.root, null),
    ];
  }
  const ctx: CheckContext = { root: env.root, runner: env.runner, planChanges: (only) => env.planChanges(only), now: env.now ?? Date.now };
  const declared = [nodeChecks(facts, site, ctx), ...components.map((c) => c.checks?.(facts, site, ctx) ?? {})];
  return CHECK_SECTIONS.flatMap((section) => declared.flatMap((d) => d[section] ?? []));
}
