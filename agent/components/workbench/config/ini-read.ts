/** A parsed Workbench config file: sections in order (the unnamed top section first), keys as written. */
export interface ParsedConfig {
  sections: Array<{ name: string | null; entries: Array<[string, string]> }>;
}

/**
 * Reads what ini-write.ts writes, the way Workbench reads it: `key=value` lines (value verbatim up to the
 * end of the line), `[section]` headers, `#` comments, blank lines. Anything else is an error naming
 * the line, so `doctor` can say "parseable" and mean it.
 */
export function parseConfig(text: string): ParsedConfig {
  const sections: ParsedConfig["sections"] = [{ name: null, entries: [] }];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || /^\s*[#;]/.test(line)) return;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      sections.push({ name: header[1]!, entries: [] });
      return;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`line ${i + 1}: expected key=value or [section]`);
    sections[sections.length - 1]!.entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  });
  return { sections: sections.filter((s, i) => i > 0 || s.entries.length > 0) };
}

/** The top-level keys of a file without sections (rserver.conf, database.conf, …). */
export function topLevel(parsed: ParsedConfig): Map<string, string> {
  const top = parsed.sections.find((s) => s.name === null);
  return new Map(top?.entries ?? []);
}
