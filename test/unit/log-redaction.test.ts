import { describe, expect, it } from "vitest";
import { createLogger, formatPretty, registerSecret, scrubSecrets, silentLogger } from "../../agent/log.js";

// The logger's edges, one assertion per rule: short values are not scrubbed (they would mangle
// ordinary words), every key path of the redaction list, the base fields, the pretty form.
function capture(opts: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  return { log: createLogger({ ...opts, sink: (l) => lines.push(l) }), lines };
}

describe("secret values: what is scrubbed", () => {
  it("a value of 4 characters or more is scrubbed; a shorter one is left alone", () => {
    registerSecret("qz7");
    expect(scrubSecrets("aqz7b")).toBe("aqz7b");
    registerSecret("qz8w");
    expect(scrubSecrets("aqz8wb qz8w")).toBe("a<redacted>b <redacted>");
  });

  it("every occurrence, in message and fields", () => {
    registerSecret("Tw1ce-secret");
    const { log, lines } = capture();
    log.info({ a: "Tw1ce-secret", b: ["x Tw1ce-secret"] }, "Tw1ce-secret and Tw1ce-secret");
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ msg: "<redacted> and <redacted>", a: "<redacted>", b: ["x <redacted>"] });
  });
});

describe("key-path redaction", () => {
  const KEYS = ["password", "secret", "token", "content", "privateKey"];
  it.each(KEYS)("%s, at the top and one level down", (key) => {
    const { log, lines } = capture();
    log.info({ [key]: "visible-if-not-redacted", inner: { [key]: "visible-if-not-redacted" } }, "m");
    const rec = JSON.parse(lines[0]!) as Record<string, Record<string, unknown>>;
    expect(rec[key]).toBe("<redacted>");
    expect(rec["inner"]![key]).toBe("<redacted>");
    expect(lines[0]).not.toContain("visible-if-not-redacted");
  });

  it("authorization headers and the IMDS token header", () => {
    const { log, lines } = capture();
    log.info({ headers: { authorization: "AWS4-a" }, req: { headers: { authorization: "AWS4-b", "x-aws-ec2-metadata-token": "imds-tok" } } }, "m");
    expect(lines[0]).not.toMatch(/AWS4-a|AWS4-b|imds-tok/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ headers: { authorization: "<redacted>" }, req: { headers: { authorization: "<redacted>", "x-aws-ec2-metadata-token": "<redacted>" } } });
  });

  it("leaves other keys alone", () => {
    const { log, lines } = capture();
    log.info({ path: "/etc/x", contents: "kept" }, "m");
    expect(JSON.parse(lines[0]!)).toMatchObject({ path: "/etc/x", contents: "kept" });
  });
});

describe("line shape", () => {
  it("carries pid, the level as number and name, and no hostname", () => {
    const { log, lines } = capture({ level: "debug" });
    log.debug("d");
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ pid: process.pid, level: 20, severity: "debug", msg: "d" });
    expect(rec).not.toHaveProperty("hostname");
  });

  it("pretty: every level's name, fields separated by one space, objects as JSON, no time when absent", () => {
    const names = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL", 70: "70   " } as const;
    for (const [level, name] of Object.entries(names)) {
      expect(formatPretty(JSON.stringify({ level: Number(level), msg: "m" }))).toBe(` ${name} m\n`);
    }
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 1), msg: "m", pid: 1, hostname: "h", severity: "info", a: "x", b: { c: 1 } });
    expect(formatPretty(line)).toBe('12:00:01 INFO  m  a=x b={"c":1}\n');
    expect(formatPretty(JSON.stringify({ level: 30 }))).toBe(" INFO  \n");
  });

  it("silentLogger writes nothing at any level", () => {
    const log = silentLogger();
    expect(log.level).toBe("silent");
    expect(log.isLevelEnabled("error")).toBe(false);
  });
});
