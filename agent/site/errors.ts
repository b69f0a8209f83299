import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import type { z } from "zod";
import { closest } from "../did-you-mean.js";

/** One problem in a site file, located in the file. */
export interface SiteProblem {
  line: number;
  column: number;
  /** `slurm.partitions[1].instanceType` */
  field: string;
  message: string;
}

type Segment = string | number;

export function fieldName(path: readonly Segment[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out || "(top level)";
}

/** Where a path points in the YAML: the value's node when present, else the nearest existing parent. */
function locate(doc: Document, path: readonly Segment[]): { node: Node | null; found: boolean; keyNode: Node | null } {
  let cur: unknown = doc.contents;
  let keyNode: Node | null = null;
  for (const seg of path) {
    if (isMap(cur)) {
      const pair = cur.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) return { node: (keyNode ?? (cur as Node)), found: false, keyNode };
      keyNode = pair.key as Node;
      cur = pair.value;
    } else if (isSeq(cur) && typeof seg === "number" && cur.items[seg] !== undefined) {
      cur = cur.items[seg];
    } else {
      return { node: (keyNode ?? (cur as Node | null)), found: false, keyNode };
    }
  }
  return { node: (cur as Node | null) ?? keyNode, found: true, keyNode };
}

function position(node: Node | null | undefined, lc: LineCounter): { line: number; column: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/** The keys a strict object accepts at `path`, for "did you mean" hints. */
function allowedKeysAt(schema: z.ZodType, path: readonly Segment[]): string[] {
  let cur: unknown = schema;
  // Down to the object or list itself: through defaults and optionals, and a section's transform (a pipe from its schema).
  const unwrap = (s: unknown): unknown => {
    let x = s as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown } } };
    for (let i = 0; i < 10 && x?._zod?.def; i++) {
      const def = x._zod.def;
      if (def.innerType && ["default", "prefault", "optional", "nullable", "readonly"].includes(def.type ?? "")) x = def.innerType as typeof x;
      else if (def.type === "pipe" && def.in) x = def.in as typeof x;
      else break;
    }
    return x;
  };
  for (const seg of path) {
    const s = unwrap(cur) as { _zod?: { def?: { type?: string; element?: unknown; shape?: Record<string, unknown> } } };
    const def = s?._zod?.def;
    if (def?.type === "array" && typeof seg === "number") cur = def.element;
    else if (def?.type === "object" && typeof seg === "string" && def.shape) cur = def.shape[seg];
    else return [];
  }
  const s = unwrap(cur) as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } };
  return s?._zod?.def?.type === "object" && s._zod.def.shape ? Object.keys(s._zod.def.shape) : [];
}

/** zod issues → located, readable problems. Values are never echoed (a field may hold a secret). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], doc: Document, lc: LineCounter, schema: z.ZodType): SiteProblem[] {
  const problems: SiteProblem[] = [];
  for (const issue of issues) {
    const path = issue.path as Segment[];
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(schema, path);
      for (const key of issue.keys) {
        const at = locate(doc, [...path, key]);
        const close = closest(key, allowed, 2);
        const hint = close ? `did you mean "${close}"? ` : "";
        problems.push({
          ...position(at.keyNode ?? at.node, lc),
          field: fieldName([...path, key]),
          message: `unknown key: ${hint}expected one of ${allowed.join(", ")}`,
        });
      }
      continue;
    }
    const at = locate(doc, path);
    let message = issue.message;
    const typeMismatch = /^Invalid input: expected (\w+), received (\w+)$/.exec(message);
    if (issue.code === "invalid_value") message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    else if (typeMismatch) message = `expected ${typeName(typeMismatch[1]!)}${at.found ? `, got ${typeName(typeMismatch[2]!)}` : ""}`;
    else if (!message.startsWith("expected")) message = `expected ${message}`;
    if (!at.found) message = `missing: ${message}`;
    problems.push({ ...position(at.node, lc), field: fieldName(path), message });
  }
  return dedupe(problems).sort((a, b) => a.line - b.line || a.column - b.column);
}

/** zod's type names as a YAML author thinks of them (a type, never the value). */
function typeName(t: string): string {
  const names: Record<string, string> = { object: "a mapping", array: "a list", string: "a string", number: "a number", boolean: "true or false", null: "null", undefined: "nothing" };
  return names[t] ?? t;
}

function dedupe(problems: SiteProblem[]): SiteProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.field}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function renderProblems(source: string, problems: readonly SiteProblem[]): string {
  const head = `invalid site config ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed):`;
  return [head, ...problems.map((p) => `  ${source}:${p.line}:${p.column}: ${p.field}: ${p.message}`)].join("\n");
}
