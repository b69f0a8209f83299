import type { ValidateOptions } from "./context.js";
import { Issues } from "./issues.js";
import { validateClusterConfig, type ValidationResult } from "./validate.js";
import { NEWEST_KNOWN, OLDEST_SUPPORTED, atLeast, parsePclusterVersion, type PclusterVersion } from "./versions.js";

/** A cluster configuration is a few KiB; this bounds what one validate run reads and parses. */
export const MAX_CLUSTER_FILE_BYTES = 1024 * 1024;

/** Where the version the file was checked for came from, in the order they win. */
export type VersionSource = "--pcluster-version" | "the file's header" | "the newest release known";

export interface FileValidation extends ValidationResult {
  version: PclusterVersion;
  versionSource: VersionSource;
}

/**
 * The release a file says it is for, in its leading comment lines: `cluster-config render`'s
 * "# AWS ParallelCluster 3.10.0 cluster configuration …", or a line "# pcluster-version: 3.10".
 * Only releases this agent supports count (3.8+, 3.x); anything else is ignored.
 */
export function versionFromHeader(text: string): PclusterVersion | undefined {
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!line.startsWith("#")) break;
    const m = /^#\s*(?:AWS ParallelCluster\s+(\d+\.\d+(?:\.\d+)?)\s+cluster configuration|pcluster-version:\s*(\d+\.\d+(?:\.\d+)?)\s*$)/.exec(line);
    const v = m ? parsePclusterVersion(m[1] ?? m[2]!) : null;
    if (v && v.major === 3 && atLeast(v, OLDEST_SUPPORTED)) return v;
  }
  return undefined;
}

/** 1-based line and byte column of a byte offset (for bytes that do not decode, there are no characters to count). */
function bytePosition(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) [line, start] = [line + 1, i + 1];
  return { line, column: offset - start + 1 };
}

/** The first byte offset where `bytes` stop being UTF-8, or -1. */
function firstBadUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    decoder.decode(bytes);
    return -1;
  } catch {
    // Bisect on prefixes: a valid prefix may end inside a character, so allow up to 3 bytes of tail.
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    // The longest valid prefix may end inside a character: the bad sequence starts at that character.
    for (let back = 0; back <= 3 && back <= lo; back++) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, lo - back));
        return lo - back;
      } catch {
        // an incomplete character at the end: back up one more byte
      }
    }
    return lo;
  }
}

/**
 * PyYAML's reader refuses control characters other than tab, LF, CR and NEL (and the C1 block,
 * lone surrogates, U+FFFE/U+FFFF); ParallelCluster stops at the first.
 */
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * `cluster-config validate FILE` on the file's bytes: the size limit, UTF-8 and the characters
 * PyYAML reads are issues with a rule and a position like every other; then the version: the
 * option when given, else the file's header, else the newest release known.
 */
export function validateClusterFile(bytes: Uint8Array, opts: Omit<ValidateOptions, "version"> & { version?: PclusterVersion }): FileValidation {
  const header = versionFromHeader(new TextDecoder("utf-8").decode(bytes.subarray(0, 4096)));
  const [version, versionSource]: [PclusterVersion, VersionSource] = opts.version
    ? [opts.version, "--pcluster-version"]
    : header
      ? [header, "the file's header"]
      : [parsePclusterVersion(NEWEST_KNOWN)!, "the newest release known"];
  const early = (fill: (issues: Issues) => void): FileValidation => {
    const issues = new Issues(version);
    fill(issues);
    const list = issues.sorted();
    return { issues: list, errors: list.length, warnings: 0, version, versionSource };
  };

  if (bytes.length > MAX_CLUSTER_FILE_BYTES) {
    return early((i) =>
      i.global("error", "pwb-file-size", `the file has ${bytes.length} bytes; validate reads at most ${MAX_CLUSTER_FILE_BYTES} (1 MiB), far more than a cluster configuration needs`, bytePosition(bytes, MAX_CLUSTER_FILE_BYTES), MAX_CLUSTER_FILE_BYTES),
    );
  }
  const bad = firstBadUtf8(bytes);
  if (bad >= 0) {
    return early((i) => i.global("error", "encoding", `byte ${bad} (0x${bytes[bad]!.toString(16).padStart(2, "0")}) is not UTF-8: ParallelCluster reads the file as UTF-8 text`, bytePosition(bytes, bad), bad));
  }
  const text = new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes);
  const m = NON_PRINTABLE.exec(text);
  if (m) {
    const before = text.slice(0, m.index);
    const lines = before.split("\n");
    const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return early((i) =>
      i.global("error", "encoding", `U+${code} is a control character PyYAML does not read (ParallelCluster's loader stops there)`, { line: lines.length, column: lines[lines.length - 1]!.length + 1 }, new TextEncoder().encode(before).length),
    );
  }
  return { ...validateClusterConfig(text, { ...opts, version }), version, versionSource };
}
