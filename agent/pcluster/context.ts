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

const TYPE_NAMES = {
  map: "a mapping (Key: value lines)",
  list: "a list (- items)",
  string: "a string (quote what YAML would read as a number, boolean or date: \"123\", \"yes\")",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  strings: "a list of strings",
} as const;
export type Kind = keyof typeof TYPE_NAMES;

/** What ParallelCluster's schema library (marshmallow Boolean) takes for true and false: these spellings exactly, and 1 and 0. */
const TRUE_WORDS = new Set(["t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"]);
const FALSE_WORDS = new Set(["f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"]);
/** Python's float() of a string, less nan and infinity (marshmallow Float refuses them): digits with '_' between, a dot, an exponent. */
const FLOAT_TEXT = /^\s*[-+]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][-+]?\d(?:_?\d)*)?\s*$/;

/**
 * A boolean field's value as marshmallow reads it: true, false, or undefined when it is neither
 * (absent, or a value the type rule refuses). Every rule reads booleans through this, so `"true"`
 * means the same to all of them.
 */
export function bool(v: YView): boolean | undefined {
  const x = v.value;
  if (typeof x === "boolean") return x;
  if (x === 1 || x === 0) return x === 1;
  if (typeof x === "string") return TRUE_WORDS.has(x) ? true : FALSE_WORDS.has(x) ? false : undefined;
  return undefined;
}

function is(v: YView, kind: Kind): boolean {
  switch (kind) {
    case "map":
      return v.isMap;
    case "list":
      return v.isSeq;
    case "string":
      // marshmallow Str takes strings only: `Value: 123` is "Not a valid string" for ParallelCluster.
      return typeof v.value === "string";
    case "integer":
      return v.integer() !== undefined;
    case "number":
      return (typeof v.value === "number" && Number.isFinite(v.value)) || (typeof v.value === "string" && FLOAT_TEXT.test(v.value));
    case "boolean":
      return bool(v) !== undefined;
    case "strings":
      return v.isSeq && v.items().every((i) => typeof i.value === "string");
  }
}

/** `true` when present and of the right kind; reports `type` when present but wrong. */
export function check(ctx: RuleContext, v: YView, kind: Kind): boolean {
  if (!v.exists) return false;
  if (is(v, kind)) return true;
  if (kind === "integer" && typeof v.value === "number" && Number.isFinite(v.value)) {
    // marshmallow Int truncates 8.5 to 8 and ParallelCluster goes on with 8: we refuse to guess.
    ctx.issues.error("pwb-integer", v, `${v.where}: expected a whole number; ParallelCluster would silently use ${Math.trunc(v.value)} for ${v.value}: write the number you mean`);
    return false;
  }
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
