import { describe, expect, it } from "vitest";
import { parseSinfo, parseSqueue } from "../../agent/metrics/slurm.js";

// What sinfo/squeue print on a ParallelCluster cluster with cloud nodes (power saving) and a GPU queue.
describe("Slurm state parsing for the head node's metrics", () => {
  it("sinfo: per partition and state, power-saving flags kept (idle~ powered down, idle# powering up), counts summed", () => {
    const out = "interactive|idle~|8\ninteractive|mixed|1\ninteractive|idle~|2\ngpu|idle#|1\ngpu|down*|1\n\nnot a line\ngpu|allocated|x\n";
    expect(Object.fromEntries(parseSinfo(out))).toEqual({
      "interactive\u0000idle~": 10,
      "interactive\u0000mixed": 1,
      "gpu\u0000idle#": 1,
      "gpu\u0000down*": 1,
    });
  });

  it("squeue: one job per line, lower-cased state; a job pending on several partitions counts under each", () => {
    const out = "interactive|RUNNING\ninteractive|PENDING\ninteractive,gpu|PENDING\ngpu|CONFIGURING\n";
    expect(Object.fromEntries(parseSqueue(out))).toEqual({
      "interactive\u0000running": 1,
      "interactive\u0000pending": 2,
      "gpu\u0000pending": 1,
      "gpu\u0000configuring": 1,
    });
  });
});
