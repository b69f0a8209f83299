// One number parser for every numeric flag: plain decimal digits, the flag named when refused.
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectedDecimal, readDecimal } from "../../agent/decimal.js";
import { main } from "../../agent/program.js";

describe("readDecimal", () => {
  const secs = { min: 0, max: 86_400, unit: "seconds" };
  const whole = { min: 1, max: 9999, whole: true };

  it("reads decimal digits, a fraction where allowed, within the bounds", () => {
    expect(readDecimal("0", secs)).toBe(0);
    expect(readDecimal("120", secs)).toBe(120);
    expect(readDecimal("2.5", secs)).toBe(2.5);
    expect(readDecimal("86400", secs)).toBe(86_400);
    expect(readDecimal("9999", whole)).toBe(9999);
  });

  it("refuses what Number() would take for something else", () => {
    for (const text of ["0x10", "1e3", " 5", "5 ", "5s", "-1", "+1", "", " ", "1.", ".5", "Infinity", "NaN", "0b11", "1_000", "١٢"]) {
      expect(readDecimal(text, secs), JSON.stringify(text)).toBeNull();
    }
    expect(readDecimal("2.5", whole)).toBeNull();
    expect(readDecimal("0", whole)).toBeNull();
    expect(readDecimal("10000", whole)).toBeNull();
    expect(readDecimal("86401", secs)).toBeNull();
    expect(readDecimal("1".repeat(16), { min: 0, max: Number.MAX_SAFE_INTEGER, whole: true })).toBeNull();
  });

  it("says what it wants", () => {
    expect(expectedDecimal(secs)).toBe("expected a number of seconds from 0 to 86400 (decimal digits only)");
    expect(expectedDecimal(whole)).toBe("expected a whole number from 1 to 9999 (decimal digits only)");
  });
});

describe("every numeric flag refuses a non-decimal value, naming the flag (exit 2)", () => {
  let stderr = "";
  afterEach(() => vi.restoreAllMocks());
  const run = async (argv: string[]) => {
    stderr = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    // A root that does not exist and no IMDS: were a value taken, the command stops at once, touching nothing.
    return main(["node", "pwb-agent", "--root", "/nonexistent/pwb-agent-decimal-test", "--no-imds", ...argv]);
  };

  const flags: Array<[string[], string]> = [
    [["plan"], "--deadline"],
    [["apply"], "--deadline"],
    [["apply"], "--lock-timeout"],
    [["units", "install"], "--lock-timeout"],
    [["bake"], "--lock-timeout"],
    [["doctor"], "--deadline"],
    [["doctor"], "--e2e-timeout"],
    [["fleet", "detect"], "--timeout"],
    [["fleet", "detect"], "--wait"],
    [["fleet", "detect"], "--poll-interval"],
    [["cluster-config", "validate", "x.yaml"], "--sessions"],
    [["alb-sync"], "--lock-timeout"],
    [["alb-sync"], "--deadline"],
    [["alb-sync"], "--max-remove-share"],
    [["alb-sync"], "--confirm-ticks"],
    [["alb-sync"], "--target-port"],
    [["alb", "ensure"], "--listener-port"],
    [["alb", "ensure"], "--health-check-interval"],
  ];
  for (const [command, flag] of flags) {
    it(`${command.join(" ")} ${flag}`, async () => {
      for (const bad of ["0x10", "1e3", " 5", "5s", "-1"]) {
        expect(await run([...command, `${flag}=${bad}`]), bad).toBe(2);
        expect(stderr, bad).toContain(`option '${flag} <`);
        expect(stderr, bad).toContain(`argument '${bad}' is invalid`);
        expect(stderr, bad).toContain("decimal digits only");
      }
    });
  }
});
