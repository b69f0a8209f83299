/** A value from a shell `key=value` file: a word, or a bash array `x=("a" "b")`. */
export type ShellValue = string | string[];

/**
 * Reads a shell variable file (cfnconfig, os-release) as data. Nothing is executed or expanded:
 * `$VAR` stays literal. Tolerant by design: lines it does not understand are skipped, an unclosed
 * quote runs to the end of the line, a scalar keeps its first word (as the shell would assign it).
 */
export function parseShellVars(text: string): Map<string, ShellValue> {
  const vars = new Map<string, ShellValue>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    const rest = m[2] as string;
    if (rest.startsWith("(")) {
      const close = rest.lastIndexOf(")");
      vars.set(key, shellWords(rest.slice(1, close > 0 ? close : undefined)));
    } else {
      vars.set(key, shellWords(rest)[0] ?? "");
    }
  }
  return vars;
}

/** The value as one string: a scalar as is, an array joined by spaces. */
export function shellString(vars: Map<string, ShellValue>, key: string): string | undefined {
  const v = vars.get(key);
  return Array.isArray(v) ? v.join(" ") : v;
}

/** Splits on unquoted blanks, honouring '…', "…" (with \" \\ \$ \` escapes) and backslashes; stops at a comment. */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === " " || c === "\t") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "#" && !inWord) {
      break;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      word += s.slice(i + 1, end < 0 ? s.length : end);
      inWord = true;
      i = end < 0 ? s.length : end + 1;
    } else if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        const d = s[i] as string;
        const next = s[i + 1];
        if (d === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\" && i + 1 < s.length) {
      word += s[i + 1] as string;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
