import type { Position, YView } from "./yaml-view.js";

export type Severity = "error" | "warning";

/** One finding, anchored to the YAML node it is about. */
export interface Issue extends Position {
  severity: Severity;
  /** Stable id of the rule (documented in README "Cluster configuration"); tests and --json key on it. */
  rule: string;
  /** Dotted path of the field, e.g. `Scheduling.SlurmQueues[0].Name`. */
  path: string;
  message: string;
}

/** Where an issue points: the value (default) or the key that holds it. */
export type Anchor = "value" | "key";

/** Collects issues while the rules run. */
export class Issues {
  readonly list: Issue[] = [];

  private add(severity: Severity, rule: string, at: YView, message: string, anchor: Anchor): void {
    const pos = anchor === "key" ? at.keyPosition : at.position;
    this.list.push({ severity, rule, path: at.where, line: pos.line, column: pos.column, message });
  }

  error(rule: string, at: YView, message: string, anchor: Anchor = "value"): void {
    this.add("error", rule, at, message, anchor);
  }

  warn(rule: string, at: YView, message: string, anchor: Anchor = "value"): void {
    this.add("warning", rule, at, message, anchor);
  }

  /** An issue not tied to a node (a flag), reported at the top of the file. */
  global(severity: Severity, rule: string, message: string): void {
    this.list.push({ severity, rule, path: "(document)", line: 1, column: 1, message });
  }

  /** File order, errors before warnings on the same spot. */
  sorted(): Issue[] {
    return [...this.list].sort((a, b) => a.line - b.line || a.column - b.column || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  }
}
