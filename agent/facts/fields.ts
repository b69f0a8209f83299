import { isIP } from "node:net";
import { BadInputError } from "../errors.js";

/**
 * Formats of the cluster facts read from ParallelCluster's files. These values end up in paths,
 * URLs, unit files and AWS calls, so a value that is not what ParallelCluster writes is bad input
 * (exit 2) naming the file and field, never passed on.
 */
const FORMATS: Record<string, { test: (v: string) => boolean; expected: string }> = {
  // CloudFormation stack names; ParallelCluster cluster names are a subset.
  name: { test: (v) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(v), expected: "a cluster name (a letter, then letters, digits, hyphens; at most 128)" },
  region: { test: (v) => /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v), expected: "an AWS region such as eu-west-1" },
  // ParallelCluster's resource names (queues, login pools): lower-case letters, digits, '-', a letter first, at most 25.
  queue: { test: (v) => /^[a-z][a-z0-9-]{0,24}$/.test(v), expected: "a queue name (lower-case letters, digits, '-', starting with a letter; at most 25)" },
  pool: { test: (v) => /^[a-z][a-z0-9-]{0,24}$/.test(v), expected: "a login pool name (lower-case letters, digits, '-', starting with a letter; at most 25)" },
  headNodeIp: { test: (v) => isIP(v) !== 0, expected: "an IP address" },
  scheduler: { test: (v) => /^[a-z][a-z0-9_-]{0,31}$/.test(v), expected: "a scheduler name such as slurm" },
  sharedStorageType: { test: (v) => /^[a-z][a-z0-9_-]{0,31}$/.test(v), expected: "a storage type such as efs or ebs" },
};

export type FactField = keyof typeof FORMATS;

/**
 * A fact field's value: null when unset (absent, null, "" or ParallelCluster's "NONE"), the
 * trimmed string when it has the field's format; anything else (a number, an object, a path where
 * a region belongs) is bad input.
 */
export function factValue(file: string, field: string, kind: FactField, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") {
    throw new BadInputError(`${file}: ${field}: expected a string, got ${Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `the ${typeof v} ${String(v)}`}`, { file, field });
  }
  const s = v.trim();
  if (s === "" || s === "NONE") return null;
  const f = FORMATS[kind]!;
  if (!f.test(s)) throw new BadInputError(`${file}: ${field}: ${JSON.stringify(s.slice(0, 80))} is not ${f.expected}`, { file, field });
  return s;
}
