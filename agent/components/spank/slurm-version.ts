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

/**
 * Reads `slurm_version.h`: SLURM_VERSION_NUMBER as configure writes it (a hex or decimal number, every
 * release from 21.08 through 25.11, e.g. 0x180508 = 24.05.8), or as SLURM_VERSION_NUM(major, minor,
 * micro), the form hand-assembled header sets use. Slurm's own macros around it are ignored.
 */
export function parseSlurmVersionHeader(text: string): SlurmHeaders | null {
  const num = /^\s*#\s*define\s+SLURM_VERSION_NUMBER\s+(0x[0-9a-fA-F]+|\d+)\b/m.exec(text);
  const macro = /^\s*#\s*define\s+SLURM_VERSION_NUMBER\s+SLURM_VERSION_NUM\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)/m.exec(text);
  let n: number;
  if (num) n = Number(num[1]);
  else if (macro) n = (Number(macro[1]) << 16) + (Number(macro[2]) << 8) + Number(macro[3]);
  else return null;
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  const major = (n >> 16) & 0xff;
  const minor = (n >> 8) & 0xff;
  const micro = n & 0xff;
  const series = `${major}.${String(minor).padStart(2, "0")}`;
  return { version: `${series}.${micro}`, series };
}
