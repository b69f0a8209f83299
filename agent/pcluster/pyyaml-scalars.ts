import type { ScalarTag, Tags } from "yaml";

/**
 * Plain scalars resolved the way ParallelCluster's loader (PyYAML's SafeLoader, YAML 1.1) resolves
 * them, which is not quite the YAML 1.1 the `yaml` library implements: PyYAML has no y/n booleans,
 * needs a dot in a float and a sign in its exponent (`1e3` and `1.0e3` are strings), reads `08` and
 * `0o17` as strings, `017` as octal, `1:30` as 90, and only `YYYY-MM-DD` (two-digit month and day)
 * as a date. The patterns are PyYAML's implicit resolvers (resolver.py), written out here.
 */
const BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const DATETIME = /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?$/;

/** Base-60 digits (`1:30:00`) as PyYAML folds them. */
function sexagesimal(digits: string): number {
  return digits.split(":").reduce((n, part) => n * 60 + Number(part), 0);
}

function resolveInt(text: string): number {
  let s = text.replace(/_/g, "");
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s.startsWith("0b")) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith("0x")) return sign * parseInt(s.slice(2), 16);
  if (s.startsWith("0")) return sign * parseInt(s, 8);
  if (s.includes(":")) return sign * sexagesimal(s);
  return sign * Number(s);
}

function resolveFloat(text: string): number {
  let s = text.replace(/_/g, "").toLowerCase();
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  if (s.includes(":")) {
    const [whole, frac] = s.split(".");
    return sign * (sexagesimal(whole!) + Number(`0.${frac || "0"}`));
  }
  return sign * Number(s);
}

const scalar = (tag: string, test: RegExp, resolve: (s: string) => unknown, identify: (v: unknown) => boolean): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  resolve,
  identify,
});

const PYYAML_SCALARS: ScalarTag[] = [
  scalar("bool", BOOL_TRUE, () => true, (v) => v === true),
  scalar("bool", BOOL_FALSE, () => false, (v) => v === false),
  scalar("int", INT, resolveInt, (v) => typeof v === "number" && Number.isInteger(v)),
  scalar("float", FLOAT, resolveFloat, (v) => typeof v === "number"),
  scalar("timestamp", DATE, (s) => new Date(`${s}T00:00:00Z`), (v) => v instanceof Date),
  scalar("timestamp", DATETIME, (s) => new Date(s.replace(/[ \t]+/, "T")), (v) => v instanceof Date),
  // PyYAML resolves a plain `=` (value) and `<<` (merge) and then cannot construct them. Here they stay
  // strings the validator names (yaml-view.ts), and writing YAML with these tags quotes them.
  { tag: "tag:yaml.org,2002:value", default: true, test: /^=$/, resolve: (s: string) => s, identify: () => false },
  { tag: "tag:pwb-agent,2026:pyyaml-merge", default: true, test: /^<<$/, resolve: (s: string) => s, identify: () => false },
];

const REPLACED = new Set(["tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"]);

/**
 * For `parseDocument` and `stringify` with `{ version: "1.1", customTags }`: the library's 1.1 scalar
 * tags replaced by PyYAML's, so a string PyYAML would read as something else is written quoted. Merge keys are dropped too, so `<<` stays a plain key the validator can name (PyYAML's
 * SafeLoader, with ParallelCluster's duplicate-key constructor, has no constructor for them).
 */
export function pyyamlTags(tags: Tags): Tags {
  const kept = tags.filter((t) => typeof t === "string" || !REPLACED.has(t.tag));
  return [...PYYAML_SCALARS, ...kept];
}
