import { InvalidArgumentError, Option } from "commander";
import { expectedDecimal, readDecimal, type DecimalRule } from "../decimal.js";

/** commander's parser for a flag that takes a number: refused values name the flag (commander adds it) and the rule. */
export const decimalFlag = (rule: DecimalRule) => (value: string): number => {
  const n = readDecimal(value, rule);
  if (n === null) throw new InvalidArgumentError(expectedDecimal(rule));
  return n;
};

/** The longest wait a flag may ask for: a day. Longer is a typo, and timers overflow past ~24.8 days. */
export const MAX_SECONDS = 86_400;

/** A wait or a deadline: seconds, fractions allowed, 0 to a day. */
export const seconds = decimalFlag({ min: 0, max: MAX_SECONDS, unit: "seconds" });

/** A timeout that must let something run at all: whole seconds, 1 to a day. */
export const wholeSecondsAtLeastOne = decimalFlag({ min: 1, max: MAX_SECONDS, whole: true, unit: "seconds" });

/** A count of at least 1 (nine digits: more is a typo). */
export const countAtLeastOne = decimalFlag({ min: 1, max: 999_999_999, whole: true });

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
export const deadlineOption = (what: string, secs: number) =>
  new Option("--deadline <seconds>", `give up (exit 1) when ${what} has not finished after this long; 0: never`).argParser(seconds).default(secs);

/**
 * Ends the process (exit 1, saying why) when a command runs past its deadline: a hung NFS server or
 * a stuck service must not stall a node's boot forever. Safe at any point: every write is atomic and
 * the kernel releases the apply lock when the process exits.
 */
export function armDeadline(secs: number, what: string): void {
  if (secs <= 0) return;
  setTimeout(() => {
    process.stderr.write(`pwb-agent: failed: ${what} did not finish within ${secs} s (--deadline); files already replaced are whole, the rest is unchanged\n`);
    process.exit(1);
  }, secs * 1000).unref();
}
