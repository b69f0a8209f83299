import { spawnSync } from "node:child_process";

/** `promtool check metrics` (Debian package prometheus) on a textfile: its complaints, "" when clean. */
export function promtoolProblems(text: string): string {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (r.error) throw new Error(`promtool is missing: apt-get install prometheus (${r.error.message})`);
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? "" : `\n(exit ${r.status})`);
}

/** Samples of one metric in a textfile: labels text → value. */
export function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out[m[2] ?? ""] = Number(m[3]);
  }
  return out;
}
