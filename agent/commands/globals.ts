import type { Command } from "commander";
import { createLogger, type Logger } from "../log.js";
import { openNode, type OpenedNode, type OpenNodeOptions, type NodeSelection } from "../node/open.js";

/** The global flags every command's file reads. */
export interface CliGlobals extends NodeSelection {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

export const globals = (cmd: Command) => cmd.optsWithGlobals<CliGlobals>();

/** Logs go to stdout (journald) unless stdout carries machine output (--json). */
export function loggerFor(g: CliGlobals): Logger {
  const fd = g.json ? 2 : 1;
  const stream = fd === 1 ? process.stdout : process.stderr;
  return createLogger({
    fd,
    pretty: Boolean(stream.isTTY),
    level: g.quiet ? "warn" : g.verbose ? "debug" : "info",
  });
}

/** The node the global flags select, opened (root, facts, site when asked), with the flags and the logger they imply. */
export async function nodeFromFlags(cmd: Command, o: OpenNodeOptions & { log?: Logger } = {}): Promise<OpenedNode & { g: CliGlobals }> {
  const g = globals(cmd);
  const { log, ...open } = o;
  return { g, ...(await openNode(g, log ?? loggerFor(g), open)) };
}
