// `alb self-register` as a process: register this node, and with --watch stay to drain it when its
// Auto Scaling lifecycle state turns Terminated. SIGTERM/SIGINT end the waits (systemd's stop runs
// ExecStop, the drain, first); a node that cannot tell its settings yet (IMDS not up, the site file
// not there yet) says why and tries again every 30 s instead of exiting into a restart loop.
import { BadInputError } from "../errors.js";
import type { ImdsSettings } from "../facts/imds.js";
import type { Logger } from "../log.js";
import { deregisterSelf, lifecycleTerminated, registerSelf, type DeregisterReport, type RegisterReport, type SelfOptions } from "./self.js";

export const RETRY_SETTINGS_MS = 30_000;

export interface SelfRegisterRun {
  /** This node's options; throws BadInputError while it cannot tell them yet. */
  options: () => Promise<SelfOptions>;
  watch: boolean;
  /** Where to poll the lifecycle state (--watch). */
  imds: ImdsSettings;
  waitHealthyMs?: number;
  log: Logger;
  /** Each report as it is made (the register report, then the drain's when the node terminates). */
  onReport: (r: RegisterReport | DeregisterReport) => void;
  retryMs?: number;
}

const abortable = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

async function optionsPatiently(o: SelfRegisterRun, signal: AbortSignal): Promise<SelfOptions> {
  for (;;) {
    try {
      return await o.options();
    } catch (e) {
      if (!o.watch || !(e instanceof BadInputError)) throw e;
      o.log.error({ err: e.message }, `cannot register this node yet; trying again in ${(o.retryMs ?? RETRY_SETTINGS_MS) / 1000} s`);
      await abortable(o.retryMs ?? RETRY_SETTINGS_MS, signal);
    }
  }
}

/** Runs until registered (and, with watch, until drained or stopped by a signal). */
export async function runSelfRegister(o: SelfRegisterRun): Promise<void> {
  const stop = new AbortController();
  const quit = () => stop.abort(new Error("stopped"));
  process.once("SIGTERM", quit);
  process.once("SIGINT", quit);
  try {
    const options = await optionsPatiently(o, stop.signal);
    o.onReport(await registerSelf({ ...options, signal: stop.signal, ...(o.waitHealthyMs ? { waitHealthyMs: o.waitHealthyMs } : {}) }));
    if (!o.watch) return;
    const why = await lifecycleTerminated({ ...options, imds: o.imds, pollMs: 5_000, signal: stop.signal });
    if (why === "terminated") {
      o.log.info("the Auto Scaling group is terminating this node: draining it from the Workbench ALB");
      o.onReport(await deregisterSelf(options));
    } else {
      o.log.info("not in an Auto Scaling group: nothing to watch; draining happens when the unit stops");
      await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    process.off("SIGTERM", quit);
    process.off("SIGINT", quit);
  }
}
