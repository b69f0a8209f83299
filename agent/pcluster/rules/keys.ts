import { formatVersion } from "../versions.js";
import { check, since, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";
import { closest } from "../../did-you-mean.js";
import { CLUSTER_SCHEMA, LEAF_TYPES, SCHEMA_READ_UP_TO, type Section } from "../schema-keys.js";

const NEXT_AFTER_SCHEMA_READ = "3.13.0";

/** Why a gated key matters here, beyond "pcluster rejects it". */
const GATE_HINTS: Record<string, string> = {
  CustomActions: "before 3.11 login nodes cannot run the agent hook; bake the AMI with pwb-agent.service enabled instead",
};
/** Unknown keys worth a sentence more than "did you mean". */
const UNKNOWN_HINTS: Record<string, string> = {
  OnNodeUpdated: "compute nodes have no OnNodeUpdated event (only OnNodeStart, OnNodeConfigured)",
};
/** The one DevSettings part admins use on production clusters (longer bootstrap for big AMIs). */
const DEV_SETTINGS_OK = new Set(["Timeouts"]);

function suggest(key: string, known: readonly string[]): string {
  const best = closest(key, known, Math.max(2, Math.floor(key.length / 4)));
  return best ? ` (did you mean ${best}?)` : "";
}

function visit(ctx: RuleContext, map: YView, section: Section, inLoginPool: boolean): void {
  if (!map.isMap) return;
  for (const entry of map.entries()) {
    const key = String(entry.name);
    if (!section.keys.includes(key)) {
      const hint = UNKNOWN_HINTS[key] ? `: ${UNKNOWN_HINTS[key]}` : suggest(key, section.keys);
      // The key table was read from the schema up to SCHEMA_READ_UP_TO; say so when checking for a later release.
      const newer = since(ctx, NEXT_AFTER_SCHEMA_READ) ? ` (keys are known up to ParallelCluster ${SCHEMA_READ_UP_TO} and its current reference)` : "";
      ctx.issues.error("unknown-key", entry, `${entry.where}: unknown key; ParallelCluster rejects it ("Unknown field")${hint}${newer}`, "key");
      continue;
    }
    const gate = section.since?.[key];
    if (gate && !since(ctx, gate)) {
      const hint = inLoginPool && GATE_HINTS[key] ? `: ${GATE_HINTS[key]}` : "";
      ctx.issues.error("version", entry, `${entry.where} needs ParallelCluster ${gate} or newer (validating for ${formatVersion(ctx.version)})${hint}`, "key");
      continue;
    }
    const deprecated = section.deprecated?.[key];
    if (deprecated && since(ctx, deprecated.since)) {
      ctx.issues.warn("deprecated", entry, `${entry.where} is deprecated since ParallelCluster ${deprecated.since}: ${deprecated.instead}`, "key");
    }
    const child = section.maps?.[key];
    if (child && check(ctx, entry, "map")) visit(ctx, entry, child, inLoginPool);
    const items = section.lists?.[key];
    if (items && check(ctx, entry, "list")) for (const item of entry.items()) if (check(ctx, item, "map")) visit(ctx, item, items, inLoginPool || key === "Pools");
    const leaf = !child && !items ? LEAF_TYPES[key] : undefined;
    if (leaf && check(ctx, entry, leaf)) constraints(ctx, entry, section, key);
  }
}

/** The schema's OneOf, Regexp and Range for one value (each item of a list of strings). */
function constraints(ctx: RuleContext, entry: YView, section: Section, key: string): void {
  const values = entry.isSeq ? entry.items() : [entry];
  const allowed = section.enums?.[key];
  const pattern = section.patterns?.[key];
  const range = section.ranges?.[key];
  for (const v of values) {
    const value = v.value;
    if (allowed && !allowed.some((a) => a === value || (typeof a === "number" && v.integer() === a))) {
      ctx.issues.error("format", v, `${v.where}: expected one of ${allowed.join(", ")}; got "${String(value)}"`);
    } else if (pattern && typeof value === "string" && !pattern.re.test(value)) {
      ctx.issues.error("format", v, `${v.where}: expected ${pattern.what}; got "${value}"`);
    }
  }
  if (range) {
    const n = typeof entry.value === "number" ? entry.value : (entry.integer() ?? Number(entry.value));
    if (Number.isFinite(n) && (n < range[0] || n > range[1])) {
      const bound = range[1] === Number.MAX_SAFE_INTEGER ? `at least ${range[0]}` : `from ${range[0]} to ${range[1]}`;
      ctx.issues.error("range", entry, `${entry.where}: must be ${bound}; got ${n}`);
    }
  }
}

/** Every key against ParallelCluster's schema; DevSettings (but its Timeouts) flagged as not for production. */
export function checkKeys(ctx: RuleContext): void {
  visit(ctx, ctx.root, CLUSTER_SCHEMA, false);
  for (const entry of ctx.root.get("DevSettings").entries()) {
    if (DEV_SETTINGS_OK.has(String(entry.name))) continue;
    ctx.issues.warn("pwb-dev-settings", entry, `${entry.where}: DevSettings are for developing ParallelCluster itself (undocumented, unsupported); a Workbench cluster should not depend on them`, "key");
  }
}
