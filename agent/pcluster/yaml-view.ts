import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair } from "yaml";
import { pyyamlTags } from "./pyyaml-scalars.js";

/** 1-based, like editors and compilers print them. */
export interface Position {
  line: number;
  column: number;
}

/** A path into the document, printed the way ParallelCluster's docs name fields: `Scheduling.SlurmQueues[0].Name`. */
export type Path = readonly (string | number)[];

export function pathString(path: Path): string {
  return path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${p}` : p), "") || "(document)";
}

interface Source {
  doc: Document;
  lines: LineCounter;
}

/**
 * A read-only view of one node of a parsed YAML document that always knows where it is: its path
 * and its line/column in the file. Missing children are views too (`exists` false), positioned at
 * the nearest existing ancestor, so a rule can report "missing X" at the map that should hold it.
 */
export class YView {
  private constructor(
    private readonly src: Source,
    readonly node: Node | null,
    readonly path: Path,
    /** The key node of the pair holding this value (maps only). */
    private readonly keyNode: Node | null,
    /** Where a missing node is reported: its parent's position. */
    private readonly fallback: Position,
  ) {}

  /**
   * `version: "1.1"` reads scalars as ParallelCluster's YAML loader (PyYAML) does: yes/no/on/off are
   * booleans, 1:30 is a number, 2024-01-01 a date, `1e3` and `08` strings (pyyaml-scalars.ts). The
   * loader's refusals are syntax errors here, in our words: a key twice in one mapping, a second
   * document, a merge key.
   */
  static parse(text: string, opts: { version?: "1.1" | "1.2" } = {}): { root: YView; syntaxErrors: Array<{ message: string; position: Position }>; toJS: () => unknown } {
    const lines = new LineCounter();
    const pyyaml = opts.version === "1.1";
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: true,
      uniqueKeys: !pyyaml,
      version: opts.version ?? "1.2",
      ...(pyyaml ? { customTags: pyyamlTags, merge: false } : {}),
    });
    const pos = (offset: number): Position => {
      const p = lines.linePos(offset);
      return { line: p.line, column: p.col };
    };
    const syntaxErrors = [...doc.errors].map((e) => ({
      message:
        e.code === "MULTIPLE_DOCS"
          ? "a second YAML document starts here: a cluster configuration is one document (ParallelCluster's loader reads exactly one); remove the '---' line and what follows, or merge the two"
          : // prettyErrors appends a source excerpt after the first line; keep the sentence.
            e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
      position: e.linePos?.[0] ? { line: e.linePos[0].line, column: e.linePos[0].col } : { line: 1, column: 1 },
    }));
    if (pyyaml && !doc.errors.length) syntaxErrors.push(...loaderRefusals(doc, pos));
    const src: Source = { doc, lines };
    const contents = (doc.contents as Node | null) ?? null;
    return {
      root: new YView(src, contents, [], null, { line: 1, column: 1 }),
      syntaxErrors,
      // Plain data for schema libraries; aliases bounded (a billion-laughs file stays small).
      toJS: () => doc.toJS({ maxAliasCount: 100 }) as unknown,
    };
  }

  private resolved(): Node | null {
    const n = this.node;
    if (n && isAlias(n)) return (n.resolve(this.src.doc) as Node | undefined) ?? null;
    return n;
  }

  private at(offset: number | undefined): Position {
    if (offset === undefined) return this.fallback;
    const p = this.src.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /** False for a key that is absent (or present with an empty value: `Key:`, `Key: null`). */
  get exists(): boolean {
    const n = this.resolved();
    return n !== null && !(isScalar(n) && n.value === null);
  }

  /** The key is written in the file, whatever its value. */
  get present(): boolean {
    return this.keyNode !== null || this.node !== null;
  }

  get isMap(): boolean {
    return isMap(this.resolved());
  }

  get isSeq(): boolean {
    return isSeq(this.resolved());
  }

  get isScalar(): boolean {
    const n = this.resolved();
    return isScalar(n) && n.value !== null;
  }

  /** Where the value starts (for a missing one: where its parent is). */
  get position(): Position {
    const n = this.node;
    if (n?.range && !(isScalar(n) && n.value === null && this.keyNode)) return this.at(n.range[0]);
    return this.keyNode?.range ? this.at(this.keyNode.range[0]) : this.fallback;
  }

  /** Where the key of this value is written; the value's position for list items and the root. */
  get keyPosition(): Position {
    return this.keyNode?.range ? this.at(this.keyNode.range[0]) : this.position;
  }

  get where(): string {
    return pathString(this.path);
  }

  /** The last path element: a key name or an index. */
  get name(): string | number | undefined {
    return this.path[this.path.length - 1];
  }

  private pairs(): Pair[] {
    const n = this.resolved();
    return isMap(n) ? (n.items as Pair[]) : [];
  }

  /** A child by key; a view that does not exist when this is not a map or has no such key. */
  get(key: string): YView {
    const pair = this.pairs().find((p) => keyText(p) === key);
    const value = (pair?.value as Node | null | undefined) ?? null;
    return new YView(this.src, value, [...this.path, key], (pair?.key as Node | null | undefined) ?? null, this.exists ? this.keyPosition : this.fallback);
  }

  /** Follows a path of keys. */
  dig(...keys: string[]): YView {
    return keys.reduce<YView>((v, k) => v.get(k), this);
  }

  /** The map's entries in file order (none when not a map). */
  entries(): YView[] {
    return this.pairs().map((p) => {
      const key = keyText(p);
      return new YView(this.src, (p.value as Node | null) ?? null, [...this.path, key], (p.key as Node | null) ?? null, this.keyPosition);
    });
  }

  keys(): string[] {
    return this.pairs().map(keyText);
  }

  /** The list's items (none when not a list). */
  items(): YView[] {
    const n = this.resolved();
    if (!isSeq(n)) return [];
    return n.items.map((item, i) => new YView(this.src, (item as Node | null) ?? null, [...this.path, i], null, this.position));
  }

  /** The scalar's value (string, number, boolean), undefined for anything else. */
  get value(): unknown {
    const n = this.resolved();
    return isScalar(n) && n.value !== null ? n.value : undefined;
  }

  /** A string scalar's value; undefined when absent or not a string. */
  string(): string | undefined {
    const v = this.value;
    return typeof v === "string" ? v : undefined;
  }

  /**
   * An integer, accepting "3" as ParallelCluster's schema library does (marshmallow Int is not
   * strict); undefined when absent or not an integer.
   */
  integer(): number | undefined {
    const v = this.value;
    if (typeof v === "number" && Number.isInteger(v)) return v;
    // Python's int() of a string: blanks around, a sign, '_' between digits ("08" and "1_000" too).
    if (typeof v === "string" && /^\s*[-+]?\d+(?:_\d+)*\s*$/.test(v)) return Number(v.replace(/[\s_]/g, ""));
    return undefined;
  }
}

function keyText(p: Pair): string {
  const k = p.key as Node | null;
  if (isScalar(k)) return String(k.value);
  return String(k);
}

/**
 * What PyYAML's SafeLoader with ParallelCluster's duplicate-key constructor refuses in a document
 * that parses: a key written twice in one mapping (named, with its first line), a merge key `<<`
 * and the value key `=` (no constructor for either).
 */
function loaderRefusals(doc: Document, pos: (offset: number) => Position): Array<{ message: string; position: Position }> {
  const out: Array<{ message: string; position: Position }> = [];
  visit(doc, {
    Map(_key, map) {
      const first = new Map<unknown, Position>();
      for (const pair of map.items) {
        const k = pair.key as Node | null;
        if (!isScalar(k) || !k.range) continue;
        const at = pos(k.range[0]);
        if (k.type === "PLAIN" && k.value === "<<") {
          out.push({ message: "a merge key (<<): ParallelCluster's loader refuses merge keys; write the keys out in this mapping (an anchor and alias of the whole mapping works)", position: at });
          continue;
        }
        const seen = first.get(k.value);
        if (seen) out.push({ message: `key "${String(k.value)}" is written twice in this mapping (first at line ${seen.line}); ParallelCluster refuses duplicate keys`, position: at });
        else first.set(k.value, at);
      }
    },
    Scalar(_key, node) {
      if (node.type === "PLAIN" && node.value === "=" && node.range) {
        out.push({ message: "a plain '=' is YAML 1.1's value key, which ParallelCluster's loader cannot read: quote it (\"=\")", position: pos(node.range[0]) });
      }
    },
  });
  return out.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
}
