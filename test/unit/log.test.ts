import { describe, expect, it } from "vitest";
import { createLogger, formatPretty, registerSecret, scrubSecrets } from "../../agent/log.js";

function capture(opts: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...opts, sink: (l) => lines.push(l) });
  return { log, lines };
}

describe("logging", () => {
  it("writes one JSON line per record with a numeric level and a severity name", () => {
    const { log, lines } = capture();
    log.info({ resource: "file:/etc/x", action: "create" }, "changed");
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 30, severity: "info", msg: "changed", resource: "file:/etc/x", action: "create" });
    expect(lines[0]!.endsWith("\n")).toBe(true);
  });

  it("redacts secret-looking keys wherever they sit", () => {
    const { log, lines } = capture();
    log.info({ password: "hunter2-db", db: { password: "nested-pw" }, headers: { authorization: "AWS4 x" } }, "connect");
    const text = lines.join("");
    expect(text).not.toContain("hunter2-db");
    expect(text).not.toContain("nested-pw");
    expect(text).not.toContain("AWS4 x");
    expect(JSON.parse(lines[0]!).db.password).toBe("<redacted>");
  });

  it("scrubs registered secret values from messages and fields, also JSON-escaped", () => {
    const secret = 'pa"ss\\w0rd-4x9';
    registerSecret(secret);
    const { log, lines } = capture();
    log.error({ detail: `could not log in with ${secret}` }, `login failed: ${secret}`);
    expect(lines.join("")).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(lines.join("")).toContain("<redacted>");
    expect(scrubSecrets(`x ${secret} y`)).toBe("x <redacted> y");
  });

  it("respects the level: --quiet drops info, --verbose keeps debug", () => {
    const quiet = capture({ level: "warn" });
    quiet.log.info("noise");
    quiet.log.warn("kept");
    expect(quiet.lines.map((l) => JSON.parse(l).msg)).toEqual(["kept"]);
    const verbose = capture({ level: "debug" });
    verbose.log.debug({ argv: ["systemctl", "is-active", "x"], durationMs: 3 }, "command finished");
    expect(JSON.parse(verbose.lines[0]!).argv).toEqual(["systemctl", "is-active", "x"]);
  });

  it("prints a readable line on a terminal", () => {
    const { log, lines } = capture({ pretty: true });
    log.warn({ resource: "service:x" }, "disabled");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN  disabled {2}resource=service:x\n$/);
    expect(formatPretty("not json")).toBe("not json");
  });
});
