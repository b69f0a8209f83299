import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

// The README's CLI at a glance and the command reference (docs/cli.md) list every command the built
// program has: a command added without its line there (or one removed and still listed) fails here,
// and so does an option the reference writes in a command's line that the command does not take.

/** The command names of a commander help text's `Commands:` section (without `help`). */
function commandsOf(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*)$/.exec(help)?.[1] ?? "";
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
}

/** Every command line of the program: `detect`, `alb ensure`, … (a group's subcommands, not the group). */
function programCommands(): string[] {
  const top = cli(["--help"]);
  expect(top.code, top.stderr).toBe(0);
  return commandsOf(top.stdout).flatMap((c) => {
    const sub = commandsOf(cli([c, "--help"]).stdout);
    return sub.length ? sub.map((s) => `${c} ${s}`) : [c];
  });
}

/** The first code block under `heading` in `file`, from its `Commands` line on. */
function commandListing(file: string, heading: string): string {
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(`\n${heading}\n`);
  const block = at < 0 ? undefined : /```\n([\s\S]*?)```/.exec(text.slice(at))?.[1];
  if (!block) throw new Error(`${file} has no code block under "${heading}"`);
  const from = block.indexOf("\nCommands\n");
  if (from < 0) throw new Error(`${file}: the block under "${heading}" has no "Commands" line`);
  return block.slice(from);
}

/** The commands a listing documents: lines `  <command> …`. */
function listedCommands(listing: string): string[] {
  return [...listing.matchAll(/^ {2}([a-z][\w-]*(?: [a-z][\w-]*)?)/gm)].map((m) => m[1]!);
}

/**
 * Each command of a listing with the options its signature writes: the command's own line up to its
 * description (two or more spaces), and the continuation lines that carry more of the signature.
 */
function signatures(listing: string): Array<{ command: string; flags: string[] }> {
  const out: Array<{ command: string; flags: string[] }> = [];
  for (const line of listing.split("\n")) {
    const head = /^ {2}([a-z][\w-]*(?: [a-z][\w-]*)?)(.*)$/.exec(line);
    const more = /^ {3,24}(\[?--.*)$/.exec(line);
    const signature = head ? head[2]!.split(/ {2,}/)[0]! : more ? more[1]! : null;
    if (signature === null) continue;
    if (head) out.push({ command: head[1]!, flags: [] });
    out.at(-1)?.flags.push(...[...signature.matchAll(/--[a-z][\w-]*/g)].map((m) => m[0]));
  }
  return out;
}

/** Whether `help` lists the option `flag` (as `--flag <value>`, `--flag [value]` or `--flag`). */
const offers = (help: string, flag: string) => new RegExp(`(^|[\\s,])${flag}(?![\\w-])`, "m").test(help);

describe("CLI reference", () => {
  const program = programCommands();

  it("finds the program's commands (the help parsing itself works)", () => {
    expect(program).toContain("alb ensure");
    expect(program).toContain("detect");
    expect(program).toContain("fleet");
  });

  for (const [file, heading] of [
    ["README.md", "## CLI at a glance"],
    ["docs/cli.md", "## Commands"],
  ] as const) {
    it(`${file} lists every command of \`pwb-agent --help\` (and its groups' subcommands), and no other`, () => {
      const documented = listedCommands(commandListing(file, heading));
      expect(program.filter((c) => !documented.includes(c))).toEqual([]);
      expect(documented.filter((d) => !program.includes(d))).toEqual([]);
    });
  }

  it("every option docs/cli.md writes in a command's line is one that command (or the program) takes", () => {
    const top = cli(["--help"]).stdout;
    const sigs = signatures(commandListing("docs/cli.md", "## Commands"));
    expect(sigs.find((s) => s.command === "ami render")?.flags).toEqual(
      expect.arrayContaining(["--parent-image", "--no-update-os-packages", "--out", "--site-url"]),
    );
    const unknown = sigs.flatMap(({ command, flags }) => {
      const help = cli([...command.split(" "), "--help"]).stdout;
      return flags.filter((f) => !offers(help, f) && !offers(top, f)).map((f) => `${command} ${f}`);
    });
    expect(unknown).toEqual([]);
  });

  it("every global option docs/cli.md lists is one `pwb-agent --help` lists", () => {
    const text = readFileSync("docs/cli.md", "utf8");
    const globals = /\nGlobal options\n([\s\S]*?)\nCommands\n/.exec(text)?.[1] ?? "";
    const flags = [...globals.matchAll(/^ {2}(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    const top = cli(["--help"]).stdout;
    expect(flags.filter((f) => !offers(top, f))).toEqual([]);
  });
});
