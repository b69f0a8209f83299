// pwb-agent(1) from packaging/man/pwb-agent.1.in and the shipped executable's own `--help` output,
// walked command by command: the man page documents exactly the CLI in the package.
import { execFile as execFileCb } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFile = promisify(execFileCb);
const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), "pwb-agent.1.in");

/**
 * Parses commander's help text: usage, description, and the items of each "Name:" section.
 * An item starts on a line indented by exactly two spaces (term, two or more spaces, text); deeper
 * indented lines continue the previous item's text.
 * @returns {{ usage: string, description: string, sections: Record<string, { term: string, text: string }[]> }}
 */
export function parseHelp(text) {
  const lines = text.replace(/\r/g, "").split("\n");
  const usage = (lines.shift() ?? "").replace(/^Usage:\s*/, "");
  const description = [];
  /** @type {Record<string, { term: string, text: string }[]>} */
  const sections = {};
  let section = null;
  for (const line of lines) {
    const header = /^([A-Z][A-Za-z ]*):\s*$/.exec(line);
    if (header) {
      section = sections[header[1]] = [];
    } else if (!section) {
      if (line.trim()) description.push(line.trim());
    } else if (/^ {2}\S/.test(line)) {
      const m = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
      section.push({ term: m[1].trim(), text: (m[2] ?? "").trim() });
    } else if (/^ {3,}\S/.test(line) && section.length) {
      const item = section[section.length - 1];
      item.text = `${item.text} ${line.trim()}`.trim();
    }
  }
  return { usage, description: description.join(" "), sections };
}

/** roff-escapes running text: backslashes, and a leading dot or quote that would start a request. */
const esc = (s) => s.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/^([.'])/, "\\&$1");

/** An option term like `--lock-timeout <seconds>`: flags bold, arguments italic. */
function term(t) {
  return t
    .split(/(<[^>]+>|\[[^\]]+\])/)
    .filter(Boolean)
    .map((part) => (/^[<[]/.test(part) ? `\\fI${esc(part)}\\fR` : `\\fB${esc(part)}\\fR`))
    .join("");
}

function optionItems(items) {
  return items
    .filter((o) => !/(^|\s)--help\b/.test(o.term))
    .map((o) => `.TP\n${term(o.term)}\n${esc(o.text)}`)
    .join("\n");
}

/**
 * Every command reachable from the top level, depth first, as `[path, help]`. `help` entries
 * (commander's own) are skipped.
 * @param {(args: string[]) => Promise<string>} helpOf
 */
export async function walkCommands(helpOf, prefix = []) {
  const help = parseHelp(await helpOf([...prefix, "--help"]));
  const out = [[prefix, help]];
  for (const c of help.sections.Commands ?? []) {
    const name = c.term.split(/\s+/)[0];
    if (name === "help") continue;
    out.push(...(await walkCommands(helpOf, [...prefix, name])));
  }
  return out;
}

/** The man page's text, from the template and the walked help. */
export function renderManPage(template, commands, { version, date }) {
  const [[, top]] = commands;
  const options = optionItems((top.sections.Options ?? []).filter((o) => !/--version\b/.test(o.term))) +
    "\n.TP\n\\fB\\-V\\fR, \\fB\\-\\-version\\fR\nprint the version";
  const body = commands
    .slice(1)
    .map(([, help]) => {
      const parts = [`.SS "${esc(`pwb-agent ${help.usage.replace(/^pwb-agent\s+/, "")}`)}"`, esc(help.description)];
      for (const [name, items] of Object.entries(help.sections)) {
        if (name === "Commands") continue;
        const rendered = name === "Options" ? optionItems(items) : items.map((o) => `.TP\n${term(o.term)}\n${esc(o.text)}`).join("\n");
        if (rendered) parts.push(rendered);
      }
      return parts.join("\n");
    })
    .join("\n");
  return template.replace("@DATE@", date).replace("@VERSION@", version).replace("@OPTIONS@", options).replace("@COMMANDS@", body);
}

/** Renders the man page for the executable `exe` (runs it with --help, nothing else). */
export async function renderManPageFor(exe, { version, date }) {
  // Output is a pipe, so commander wraps at 80 columns whatever the terminal; parseHelp re-joins lines.
  const env = { PATH: process.env.PATH ?? "" };
  const helpOf = async (args) => (await execFile(exe, args, { env, maxBuffer: 4 << 20 })).stdout;
  const commands = await walkCommands(helpOf);
  return renderManPage(await fs.readFile(TEMPLATE, "utf8"), commands, { version, date });
}
