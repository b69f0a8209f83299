import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

// The README's CLI reference lists every command the built program has: a command added without
// its line there (or one removed and still listed) fails here.

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

/** The commands the README's CLI block documents: lines `  <command> …` after `Commands`. */
function readmeCommands(): string[] {
  const block = /## CLI\n+```\n([\s\S]*?)```/.exec(readFileSync("README.md", "utf8"))?.[1];
  if (!block) throw new Error("README.md has no ## CLI code block");
  const listing = block.slice(block.indexOf("\nCommands\n"));
  return [...listing.matchAll(/^ {2}([a-z][\w-]*(?: [a-z][\w-]*)?)/gm)].map((m) => m[1]!);
}

describe("README CLI reference", () => {
  it("lists every command of `pwb-agent --help` (and its groups' subcommands), and no other", () => {
    const program = programCommands();
    expect(program).toContain("alb ensure");
    expect(program).toContain("detect");
    const documented = readmeCommands();
    expect(program.filter((c) => !documented.includes(c))).toEqual([]);
    expect(documented.filter((d) => !program.includes(d))).toEqual([]);
  });
});
