import type { Issues } from "./issues.js";
import { atLeast, type PclusterVersion } from "./versions.js";
import type { YView } from "./yaml-view.js";

export interface ValidateOptions {
  /** ParallelCluster version the file is for. */
  version: PclusterVersion;
  /** `pcluster create-cluster --cluster-name`: checked when given (it is not in the file). */
  clusterName?: string;
  /** Expected concurrent Workbench sessions, for the login sizing warning (else the file's tag). */
  sessions?: number;
}

/** What every rule gets: the document, where to report, and the options. */
export interface RuleContext extends ValidateOptions {
  root: YView;
  issues: Issues;
}

export type Rule = (ctx: RuleContext) => void;

export const since = (ctx: RuleContext, version: string) => atLeast(ctx.version, version);

// ---- shape helpers: each reports at most one issue and says whether the value is usable ----

const TYPE_NAMES = { map: "a mapping (Key: value lines)", list: "a list (- items)", string: "a string", integer: "an integer", boolean: "true or false" } as const;
type Kind = keyof typeof TYPE_NAMES;

function is(v: YView, kind: Kind): boolean {
  switch (kind) {
    case "map":
      return v.isMap;
    case "list":
      return v.isSeq;
    case "string":
      // Scalars ParallelCluster reads as strings; YAML may type `Value: 123` as a number.
      return v.isScalar && (typeof v.value === "string" || typeof v.value === "number");
    case "integer":
      return v.integer() !== undefined;
    case "boolean":
      return typeof v.value === "boolean";
  }
}

/** `true` when present and of the right kind; reports `type` when present but wrong. */
export function check(ctx: RuleContext, v: YView, kind: Kind): boolean {
  if (!v.exists) return false;
  if (is(v, kind)) return true;
  ctx.issues.error("type", v, `${v.where}: expected ${TYPE_NAMES[kind]}`);
  return false;
}

/** Like check(), and reports `required` (at the parent's key) when absent. */
export function need(ctx: RuleContext, v: YView, kind: Kind, why = ""): boolean {
  if (!v.exists) {
    ctx.issues.error("required", v, `${v.where} is required${why ? `: ${why}` : ""}`, "key");
    return false;
  }
  return check(ctx, v, kind);
}

/** The value as a string when it is one (numbers written unquoted count), else undefined. */
export function str(v: YView): string | undefined {
  const x = v.value;
  return typeof x === "string" ? x : typeof x === "number" ? String(x) : undefined;
}

/** An integer in [min, max]; reports `range` with ParallelCluster's bounds when outside. */
export function intIn(ctx: RuleContext, v: YView, min: number, max: number, what: string): number | undefined {
  if (!check(ctx, v, "integer")) return undefined;
  const n = v.integer()!;
  if (n < min || n > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    ctx.issues.error("range", v, `${v.where}: ${what} must be ${bound}; got ${n}`);
    return undefined;
  }
  return n;
}

/** Items of a list, each a map; reports `type` for the list or a non-map item. */
export function mapItems(ctx: RuleContext, list: YView): YView[] {
  if (!check(ctx, list, "list")) return [];
  return list.items().filter((item) => check(ctx, item, "map"));
}

/** Reports `format` (or the rule given) when a present string does not match. */
export function matches(ctx: RuleContext, v: YView, re: RegExp, expected: string, rule = "format"): boolean {
  if (!check(ctx, v, "string")) return false;
  if (re.test(str(v)!)) return true;
  ctx.issues.error(rule, v, `${v.where}: expected ${expected}; got "${str(v)}"`);
  return false;
}
