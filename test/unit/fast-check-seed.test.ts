import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("fast-check is seeded for every test file", () => {
  it("runs from FC_SEED or the fixed seed, and names it in a failure", () => {
    const seed = fc.readConfigureGlobal().seed;
    expect(seed).toBe(process.env["FC_SEED"] ? Number(process.env["FC_SEED"]) : 20261208);
    let message = "";
    try {
      fc.assert(fc.property(fc.nat(), (n) => n < 0));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`seed: ${seed}`);
  });

  it("the same seed draws the same values", () => {
    expect(fc.sample(fc.string(), 5)).toEqual(fc.sample(fc.string(), 5));
  });
});
