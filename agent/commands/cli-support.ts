import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { createLogger, type Logger } from "../log.js";
import type { GlobalOptions } from "./context.js";

/** Shared by every command's file: the global flags, the logger they imply, option parsers. */
export interface CliGlobals extends GlobalOptions {
  quiet: boolean;
  verbose: boolean;
  /** --site: a site config file or s3:// URL (default /etc/pwb-agent/site.yaml under --root). */
  site?: string;
}

export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of seconds ≥ 0");
  return n;
}

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

export const globals = (cmd: Command) => cmd.optsWithGlobals<CliGlobals>();
