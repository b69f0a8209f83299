/**
 * Deterministic writer for Workbench's `key=value` files. Not the `ini` package: launcher.conf repeats
 * `[cluster]` sections, which an object-based writer cannot express, and Workbench reads values
 * verbatim (no quoting or escaping), so the writer's job is to refuse what it cannot write safely.
 * Same input, same bytes: entries keep the order given, lines end in \n, the file ends in one \n.
 */
export type IniValue = string | number | boolean;
export type Entry = readonly [key: string, value: IniValue];

export interface Section {
  name: string;
  entries: readonly Entry[];
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function value(v: IniValue, key: string): string {
  const s = typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  if (/[\r\n\0]/.test(s)) throw new Error(`config value for ${key} spans lines`);
  if (s.trim() !== s) throw new Error(`config value for ${key} has surrounding spaces`);
  return s;
}

function line([k, v]: Entry): string {
  if (!KEY.test(k)) throw new Error(`not a config key: ${JSON.stringify(k)}`);
  return `${k}=${value(v, k)}`;
}

function comments(header: readonly string[]): string[] {
  return header.map((h) => (h ? `# ${h}` : "#"));
}

export function keyValueFile(entries: readonly Entry[], header: readonly string[] = []): string {
  const lines = [...comments(header), ...(header.length ? [""] : []), ...entries.map(line)];
  return lines.join("\n") + "\n";
}

export function sectionedFile(sections: readonly Section[], header: readonly string[] = []): string {
  const blocks = sections.map((s) => {
    if (!/^[^\]\r\n]+$/.test(s.name)) throw new Error(`not a section name: ${JSON.stringify(s.name)}`);
    return [`[${s.name}]`, ...s.entries.map(line)].join("\n");
  });
  return [...(header.length ? [comments(header).join("\n")] : []), ...blocks].join("\n\n") + "\n";
}

/** The header every file that allows comments carries. */
export const MANAGED_HEADER = ["Written by pwb-agent from the site config. Local edits are overwritten by the next apply."];
