import type { ValidationResult } from "./validate.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Compiler-style lines (`file:line:col: error: message [rule]`), then one summary line. */
export function renderIssues(file: string, result: ValidationResult, version: string): string {
  const lines = result.issues.map((i) => `${file}:${i.line}:${i.column}: ${i.severity}: ${i.message} [${i.rule}]`);
  const summary = result.errors
    ? `${file}: ${plural(result.errors, "error")}, ${plural(result.warnings, "warning")} (ParallelCluster ${version} rules)`
    : `${file}: valid for ParallelCluster ${version}${result.warnings ? ` (${plural(result.warnings, "warning")})` : ""}`;
  return [...lines, summary].join("\n") + "\n";
}

/** `versionFrom`: what chose the version (validate-file.ts VersionSource), when the caller knows. */
export function issuesJson(file: string, result: ValidationResult, version: string, versionFrom?: string): string {
  return JSON.stringify({ file, pclusterVersion: version, ...(versionFrom ? { pclusterVersionFrom: versionFrom } : {}), valid: result.errors === 0, errors: result.errors, warnings: result.warnings, issues: result.issues }, null, 2) + "\n";
}
