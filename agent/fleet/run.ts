import { documentParameters } from "./document.js";
import { outcomeOf, roleOf, summaryOf } from "./summarize.js";
import { fleetTargets } from "./targets.js";
import { TERMINAL_STATUSES, type CommandState, type FleetOptions, type FleetReport, type FleetSsm, type InstanceResult, type InvocationDetail, type InvocationSummary } from "./types.js";
import { mapLimit } from "../map-limit.js";

/** Whole-command statuses after which nothing changes any more (Cancelling is not one). */
const COMMAND_DONE = new Set(["Success", "Failed", "TimedOut", "Cancelled"]);
/** Output fetches at once: enough for big fleets, polite to SSM's API rate. */
const FETCH_CONCURRENCY = 8;
/** GetCommandInvocation may say InvocationDoesNotExist for a moment after the command is listed. */
const NOT_YET_RETRIES = 5;

export interface ProgressSink {
  update(state: CommandState, elapsedMs: number): void;
  end(): void;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

async function detailOf(ssm: FleetSsm, commandId: string, inv: InvocationSummary, o: FleetOptions, clock: Clock): Promise<InvocationDetail> {
  for (let attempt = 0; attempt <= NOT_YET_RETRIES; attempt++) {
    const d = await ssm.getInvocation(commandId, inv.instanceId);
    if (d) return d;
    await clock.sleep(o.pollMs);
  }
  return { status: inv.status, responseCode: -1, stdout: "", stderr: "" };
}

/**
 * Runs the agent's SSM document on the cluster's nodes (by ParallelCluster's tags), waits for the
 * command to finish (reporting progress), then collects each node's exit code and output. SSM keeps
 * running the command if the wait runs out; the report says so (`incomplete`).
 */
export async function runFleet(ssm: FleetSsm, o: FleetOptions, progress: ProgressSink, clock: Clock = realClock): Promise<FleetReport> {
  const t0 = clock.now();
  const commandId = await ssm.sendCommand({
    documentName: o.documentName,
    targets: fleetTargets(o.cluster, o.role),
    parameters: documentParameters(o.subcommand, { json: true, timeoutSeconds: o.executionTimeoutSeconds }),
    comment: `pwb-agent fleet ${o.subcommand} ${o.cluster}${o.role ? ` (${o.role})` : ""}`,
    deliveryTimeoutSeconds: o.deliveryTimeoutSeconds,
    maxConcurrency: o.maxConcurrency,
    maxErrors: o.maxErrors,
  });

  let state: CommandState | null = null;
  let incomplete = false;
  for (;;) {
    state = await ssm.commandState(commandId);
    if (state) progress.update(state, clock.now() - t0);
    if (state && COMMAND_DONE.has(state.status)) break;
    if (clock.now() - t0 >= o.waitTimeoutMs) {
      incomplete = true;
      break;
    }
    await clock.sleep(o.pollMs);
  }
  progress.end();

  const invocations = (await ssm.listInvocations(commandId)).sort((a, b) => a.instanceName.localeCompare(b.instanceName) || a.instanceId.localeCompare(b.instanceId));
  const instances = await mapLimit(invocations, FETCH_CONCURRENCY, async (inv): Promise<InstanceResult> => {
    const d = TERMINAL_STATUSES.has(inv.status) ? await detailOf(ssm, commandId, inv, o, clock) : { status: inv.status, responseCode: -1, stdout: "", stderr: "" };
    return {
      instanceId: inv.instanceId,
      instanceName: inv.instanceName,
      role: roleOf(d.stdout),
      status: d.status,
      outcome: TERMINAL_STATUSES.has(d.status) ? outcomeOf(o.subcommand, d) : "running",
      responseCode: d.responseCode,
      summary: TERMINAL_STATUSES.has(d.status) ? summaryOf(o.subcommand, d) : `still ${d.status} when the wait ended`,
      stdout: d.stdout,
      stderr: d.stderr,
    };
  });

  return {
    commandId,
    subcommand: o.subcommand,
    cluster: o.cluster,
    role: o.role ?? null,
    commandStatus: state?.status ?? "Unknown",
    instances,
    incomplete,
    durationMs: clock.now() - t0,
  };
}
