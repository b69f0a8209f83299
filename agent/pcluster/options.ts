import { InvalidArgumentError } from "commander";
import { NEWEST_KNOWN, OLDEST_SUPPORTED, atLeast, formatVersion, parsePclusterVersion, type PclusterVersion } from "./versions.js";

/** commander parser for --pcluster-version: a 3.x version this architecture runs on. */
export function pclusterVersionOption(value: string): PclusterVersion {
  const v = parsePclusterVersion(value);
  if (!v) throw new InvalidArgumentError(`expected a ParallelCluster version like ${NEWEST_KNOWN.replace(/\.0$/, "")} or ${NEWEST_KNOWN}`);
  if (v.major !== 3 || !atLeast(v, OLDEST_SUPPORTED)) {
    throw new InvalidArgumentError(`ParallelCluster ${formatVersion(v)} is not supported: login nodes and the shared-storage layout need ${OLDEST_SUPPORTED} or newer (3.x)`);
  }
  return v;
}

