import type { Command } from "commander";
import { InvalidArgumentError, Option } from "commander";
import { createLogger, type Logger } from "../log.js";
import type { GlobalOptions } from "./context.js";

/** Shared by every command's file: the global flags, the logger they imply, option parsers. */
export interface CliGlobals extends GlobalOptions {
  quiet: boolean;
  verbose: boolean;
  /** --site: a site config file or s3:// URL (default /etc/pwb-agent/site.yaml under --root). */
  site?: string;
}

/** The longest wait a flag may ask for: a day. Longer is a typo, and timers overflow past ~24.8 days. */
const MAX_SECONDS = 86_400;

/** A decimal number of seconds, 0 to a day. `Number("")` is 0 and `Number("0x10")` is 16: both refused. */
export function positiveSeconds(value: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > MAX_SECONDS) throw new InvalidArgumentError(`expected a number of seconds from 0 to ${MAX_SECONDS}`);
  return n;
}

/** An http(s) URL with a host and nothing after it but an optional path (IMDS endpoints). */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected an http:// or https:// URL");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || url.username || url.password || url.search || url.hash) {
    throw new InvalidArgumentError("expected an http:// or https:// URL with a host, no credentials, query or fragment");
  }
  return value;
}

/** `--deadline`: how long a whole command may run before it gives up (0: no deadline). */
export const deadlineOption = (what: string, seconds: number) =>
  new Option("--deadline <seconds>", `give up (exit 1) when ${what} has not finished after this long; 0: never`).argParser(positiveSeconds).default(seconds);

/**
 * Ends the process (exit 1, saying why) when a command runs past its deadline: a hung NFS server or
 * a stuck service must not stall a node's boot forever. Safe at any point: every write is atomic and
 * the kernel releases the apply lock when the process exits.
 */
export function armDeadline(seconds: number, what: string): void {
  if (seconds <= 0) return;
  setTimeout(() => {
    process.stderr.write(`pwb-agent: failed: ${what} did not finish within ${seconds} s (--deadline); files already replaced are whole, the rest is unchanged\n`);
    process.exit(1);
  }, seconds * 1000).unref();
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
