// CHANGELOG.md → the rpm %changelog and the Debian changelog: one source, three formats.
// The Markdown format is deliberately small (see the file's header): `## <version> — <YYYY-MM-DD>`
// headings, then `- ` bullets that may wrap onto indented lines.

const HEADING = /^## (\d+\.\d+\.\d+(?:[-~+][0-9A-Za-z.]+)?) (?:—|-) (\d{4})-(\d{2})-(\d{2})\s*$/;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * @typedef {{ version: string, date: Date, items: string[] }} Release
 * @returns {Release[]} newest first, as written
 */
export function parseChangelog(text) {
  /** @type {Release[]} */
  const releases = [];
  let current = null;
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.startsWith("## ")) {
      const m = HEADING.exec(line);
      if (!m) throw new Error(`CHANGELOG.md:${i + 1}: expected "## <version> — <YYYY-MM-DD>", got ${JSON.stringify(line)}`);
      const date = new Date(Date.UTC(Number(m[2]), Number(m[3]) - 1, Number(m[4])));
      if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(m[4])) throw new Error(`CHANGELOG.md:${i + 1}: not a real date`);
      current = { version: m[1], date, items: [] };
      releases.push(current);
    } else if (current && line.startsWith("- ")) {
      current.items.push(line.slice(2).trim());
    } else if (current && /^\s+\S/.test(line) && current.items.length) {
      current.items[current.items.length - 1] += " " + line.trim();
    } else if (current && line.trim() !== "") {
      throw new Error(`CHANGELOG.md:${i + 1}: expected a "- " bullet or its indented continuation`);
    }
  });
  if (!releases.length) throw new Error("CHANGELOG.md has no release heading");
  for (const r of releases) if (!r.items.length) throw new Error(`CHANGELOG.md: release ${r.version} has no entries`);
  return releases;
}

const pad = (n) => String(n).padStart(2, "0");

/** Word-wraps at `width`: the first line starts with `first`, the others with `indent`. */
function wrap(text, width, first, indent) {
  const out = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = out.length ? indent : first;
    if (line && (prefix + line + " " + word).length > width) {
      out.push(prefix + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  out.push((out.length ? indent : first) + line);
  return out;
}

/** rpm: `* Sun Nov 22 2026 Name <mail> - 0.1.0-1` then `- item` lines; `%` doubled (rpm expands macros here). */
export function rpmChangelog(releases, { maintainer, release }) {
  return releases
    .map((r) => {
      const d = r.date;
      const head = `* ${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${d.getUTCFullYear()} ${maintainer} - ${r.version}-${release}`;
      const items = r.items.flatMap((item) => wrap(item.replaceAll("%", "%%"), 78, "- ", "  "));
      return [head, ...items].join("\n");
    })
    .join("\n\n") + "\n";
}

/** Debian: `pwb-agent (0.1.0-1) unstable; urgency=medium`, `  * item`, ` -- Name <mail>  <RFC 5322 date>`. */
export function debianChangelog(releases, { name, maintainer, release }) {
  return releases
    .map((r) => {
      const d = r.date;
      const date = `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} 00:00:00 +0000`;
      const items = r.items.flatMap((item) => wrap(item, 80, "  * ", "    "));
      return [`${name} (${r.version}-${release}) unstable; urgency=medium`, "", ...items, "", ` -- ${maintainer}  ${date}`].join("\n");
    })
    .join("\n\n") + "\n";
}
