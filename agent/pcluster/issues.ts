import { ruleInfo } from "./rule-catalog.js";
import { atLeast, type PclusterVersion } from "./versions.js";
import type { Position, YView } from "./yaml-view.js";

export type Severity = "error" | "warning";

/** One finding, anchored to the YAML node it is about. */
export interface Issue extends Position {
  severity: Severity;
  /** Stable id of the rule (documented in cluster-config/README.md); tests and --json key on it. */
  rule: string;
  /** ParallelCluster releases the rule applies to, e.g. `3.8.0+` (rule-catalog.ts). */
  versions: string;
  /** Dotted path of the field, e.g. `Scheduling.SlurmQueues[0].Name`. */
  path: string;
  message: string;
  /** Byte offset in the file, for what has no line of its own (bytes that are not UTF-8, the size limit). */
  offset?: number;
}

/** Where an issue points: the value (default) or the key that holds it. */
export type Anchor = "value" | "key";

/**
 * Collects issues while the rules run. Every rule id must be in the catalog (a rule without one is a
 * bug); a rule outside its catalogued version range does not apply, so its issue is not reported.
 */
export class Issues {
  readonly list: Issue[] = [];

  constructor(private readonly version: PclusterVersion) {}

  private push(severity: Severity, rule: string, path: string, pos: Position, message: string, offset?: number): void {
    const info = ruleInfo(rule);
    if (!info) throw new Error(`cluster-config rule "${rule}" is not in rule-catalog.ts`);
    if (!atLeast(this.version, info.since)) return;
    // The key walk and a rule may both check one value's type: say it once (several missing keys of one map are several issues).
    if (this.list.some((i) => i.rule === rule && i.path === path && i.line === pos.line && i.column === pos.column && i.severity === severity)) return;
    this.list.push({ severity, rule, versions: `${info.since}+`, path, line: pos.line, column: pos.column, message, ...(offset !== undefined ? { offset } : {}) });
  }

  private add(severity: Severity, rule: string, at: YView, message: string, anchor: Anchor): void {
    this.push(severity, rule, at.where, anchor === "key" ? at.keyPosition : at.position, message);
  }

  error(rule: string, at: YView, message: string, anchor: Anchor = "value"): void {
    this.add("error", rule, at, message, anchor);
  }

  warn(rule: string, at: YView, message: string, anchor: Anchor = "value"): void {
    this.add("warning", rule, at, message, anchor);
  }

  /** An issue not tied to a node (a flag), reported at the top of the file. */
  global(severity: Severity, rule: string, message: string, at: Position = { line: 1, column: 1 }, offset?: number): void {
    this.push(severity, rule, "(document)", at, message, offset);
  }

  /** File order, errors before warnings on the same spot. */
  sorted(): Issue[] {
    return [...this.list].sort((a, b) => a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  }
}
