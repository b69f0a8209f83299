// A loopback AWS endpoint speaking the real wire protocols (ELBv2 and EC2 Query, SSM JSON, IMDSv2)
// over an in-memory account, with faults on demand. Point the real SDK clients (or the AWS CLI) at
// `url`. See docs/testing.md and test/aws-endpoint/scenarios.ts for ready-made accounts.
import { Faults, type Service } from "./faults.js";
import { AwsModel, type ModelOptions } from "./model.js";
import { applyScenario } from "./scenarios.js";
import { serve, type CallRecord } from "./server.js";

export interface AwsEndpointOptions extends ModelOptions {
  /** 0 (default): any free port. The endpoint only ever listens on 127.0.0.1. */
  port?: number;
  /** A named starting account (scenarios.ts); default "empty". */
  scenario?: string;
  /** Added to every AWS API call, as a real network round trip would be. */
  latencyMs?: number;
}

export interface AwsEndpoint {
  /** http://127.0.0.1:PORT — AWS_ENDPOINT_URL for the SDK and the CLI, and the IMDS endpoint too. */
  url: string;
  port: number;
  model: AwsModel;
  faults: Faults;
  /** Every request received, in order, faulted ones included. */
  calls: CallRecord[];
  /** Calls of this action (optionally of one service). */
  count(action: string, service?: Service): number;
  /** Per-call latency; may be changed while running. */
  latencyMs: number;
  close(): Promise<void>;
}

export async function startAwsEndpoint(opts: AwsEndpointOptions = {}): Promise<AwsEndpoint> {
  const model = new AwsModel(opts);
  applyScenario(model, opts.scenario ?? "empty");
  const state = { model, faults: new Faults(), calls: [] as CallRecord[], latencyMs: opts.latencyMs ?? 0 };
  const server = await serve(state, opts.port ?? 0);
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    model,
    faults: state.faults,
    calls: state.calls,
    count: (action, service) => state.calls.filter((c) => c.action === action && (!service || c.service === service)).length,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    close: () => server.close(),
  };
}

export { AwsModel } from "./model.js";
export type { Fault, FaultTarget, Service } from "./faults.js";
export type { CallRecord } from "./server.js";
export { SCENARIOS, seedLoginCluster, replaceLoginNode, launchLoginNode, seedWorkbenchTargetGroup } from "./scenarios.js";
export type { LoginCluster, LoginPool } from "./scenarios.js";
