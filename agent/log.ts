import { writeSync } from "node:fs";
import { pino } from "pino";

export type Logger = pino.Logger;
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const REDACTED = "<redacted>";

/** Keys whose values never reach a log line, wherever they sit in the object. */
const REDACT_PATHS = [
  "password", "*.password", "secret", "*.secret", "token", "*.token",
  "content", "*.content", "privateKey", "*.privateKey",
  "headers.authorization", "*.headers.authorization", "*.headers['x-aws-ec2-metadata-token']",
];

/** Secret values loaded at run time (a database password, a cookie key): scrubbed from every line. */
const secretValues = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length < 4) return; // too short to scrub without mangling ordinary text
  secretValues.add(value);
  const jsonEscaped = JSON.stringify(value).slice(1, -1);
  if (jsonEscaped !== value) secretValues.add(jsonEscaped);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const value of secretValues) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** One readable line per record for a terminal: `12:00:01 INFO  msg key=value`. */
export function formatPretty(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, severity: _severity, pid: _pid, hostname: _host, ...rest } = rec;
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 19) : "";
  const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${name} ${String(msg ?? "")}${fields ? "  " + fields : ""}\n`;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** 1 = stdout (journald under systemd), 2 = stderr (when stdout carries --json output). */
  fd?: 1 | 2;
  pretty?: boolean;
  /** Where finished lines go; defaults to a synchronous write to `fd`. */
  sink?: (line: string) => void;
}

/**
 * pino without transports (a transport needs worker files next to the bundle, which a single
 * executable does not have). Lines are written synchronously so nothing is lost on exit.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const fd = opts.fd ?? 1;
  const pretty = opts.pretty ?? false;
  const sink = opts.sink ?? ((line: string) => writeSync(fd, line));
  const destination = {
    write(chunk: string): void {
      const clean = scrubSecrets(chunk);
      sink(pretty ? formatPretty(clean) : clean);
    },
  };
  return pino(
    {
      level: opts.level ?? "info",
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { level: (label, number) => ({ level: number, severity: label }) },
    },
    destination,
  );
}

/** A logger that drops everything (library use, tests that don't look at logs). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
