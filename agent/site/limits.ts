/** Limits every site value is held to, before and besides the schema. */

/** PATH_MAX on Linux. */
export const MAX_PATH_LENGTH = 4096;
/** No site value (a URL, a path, a name, an rserver.conf value) is longer; a longer one is a paste accident. */
export const MAX_STRING_LENGTH = 4096;
/** Keys are names: field names, rserver.conf keys, environment variable names. */
export const MAX_KEY_LENGTH = 128;
/** Lists and maps (partitions, profiles, rserver settings, …): far more than any cluster has. */
export const MAX_ITEMS = 1000;
/** Nesting the schema never goes deeper than. */
const MAX_DEPTH = 12;

/** Directories the operating system owns: the site may not point shared storage or images there. */
const SYSTEM_DIRS = new Set([
  "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc",
  "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib64", "/usr/libexec",
  "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/sbin", "/usr/share", "/var", "/var/lib", "/var/log", "/var/run", "/var/tmp",
  "/var/spool", "/var/cache", "/etc/systemd", "/usr/lib/systemd",
]);
/** Kernel and runtime file systems: nothing of Workbench's belongs anywhere under them. */
const SYSTEM_TREES = ["/proc", "/sys", "/dev", "/run", "/boot"];

export function isSystemDirectory(p: string): boolean {
  return SYSTEM_DIRS.has(p) || SYSTEM_TREES.some((t) => p.startsWith(t + "/"));
}

export interface LimitProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Strings, keys, lists and nesting within bounds, checked on the parsed YAML before the schema:
 * a 50 MB value or a million-entry map is refused naming the field, never processed.
 */
export function checkLimits(data: unknown): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const walk = (v: unknown, path: Array<string | number>): void => {
    if (problems.length >= 20) return;
    if (path.length > MAX_DEPTH) {
      problems.push({ path, message: `expected at most ${MAX_DEPTH} levels of nesting` });
      return;
    }
    if (typeof v === "string") {
      if (v.length > MAX_STRING_LENGTH) problems.push({ path, message: `expected a value of at most ${MAX_STRING_LENGTH} characters, got ${v.length}` });
    } else if (Array.isArray(v)) {
      if (v.length > MAX_ITEMS) problems.push({ path, message: `expected at most ${MAX_ITEMS} entries, got ${v.length}` });
      else v.forEach((x, i) => walk(x, [...path, i]));
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      if (entries.length > MAX_ITEMS) problems.push({ path, message: `expected at most ${MAX_ITEMS} keys, got ${entries.length}` });
      else for (const [k, x] of entries) {
        if (k.length > MAX_KEY_LENGTH) problems.push({ path: [...path, k.slice(0, 40) + "…"], message: `expected a key of at most ${MAX_KEY_LENGTH} characters` });
        else walk(x, [...path, k]);
      }
    }
  };
  walk(data, []);
  return problems;
}
