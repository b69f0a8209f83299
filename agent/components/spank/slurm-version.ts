/** The Slurm version a set of headers describes, and the release series SPANK compatibility follows. */
export interface SlurmHeaders {
  /** "23.11.4" */
  version: string;
  /**
   * "23.11": Slurm loads a SPANK plugin only when the major and minor of the version it was built
   * against match its own (micro releases share the ABI), so builds are kept per series.
   */
  series: string;
}

/** Reads `slurm_version.h`: SLURM_VERSION_NUMBER (every Slurm, e.g. 0x170b04 = 23.11.4). */
export function parseSlurmVersionHeader(text: string): SlurmHeaders | null {
  const m = /^\s*#\s*define\s+SLURM_VERSION_NUMBER\s+(0x[0-9a-fA-F]+|\d+)\b/m.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  const major = (n >> 16) & 0xff;
  const minor = (n >> 8) & 0xff;
  const micro = n & 0xff;
  const series = `${major}.${String(minor).padStart(2, "0")}`;
  return { version: `${series}.${micro}`, series };
}
