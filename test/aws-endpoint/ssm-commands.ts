// Run Command beyond the endpoint's minimal SSM model, for `pwb-agent fleet`: ListCommands (the
// command's overall state), invocations that progress over time instead of finishing at once, and
// a ParallelCluster fleet of tagged instances. Importing this module registers ListCommands.
import type { AwsModel } from "./model.js";
import { commandJson, SSM_ACTIONS } from "./ssm.js";
import type { Command, InvocationResult } from "./ssm-model.js";
import { AwsApiError } from "./errors.js";

SSM_ACTIONS.ListCommands ??= ({ body, model }) => {
  const id = typeof body.CommandId === "string" ? body.CommandId : undefined;
  if (id !== undefined && !model.ssm.commands.has(id)) throw new AwsApiError("InvalidCommandId", "");
  const commands = id !== undefined ? [model.ssm.commands.get(id)!] : [...model.ssm.commands.values()];
  return { Commands: commands.map((c) => commandJson(model, c)) };
};

export interface ScriptedResult extends InvocationResult {
  /** When the invocation reaches this result; until then it is InProgress. */
  afterMs?: number;
}

/**
 * Every invocation starts InProgress and turns into `decide`'s result after its delay, as a real
 * node's run would. Timers are unref'd: a test that ends early does not hang on them.
 */
export function scriptInvocations(model: AwsModel, decide: (command: Command, instanceId: string) => ScriptedResult): void {
  model.ssm.onCommand = (command, instanceId) => {
    const { afterMs = 0, ...result } = decide(command, instanceId);
    setTimeout(() => {
      const inv = model.ssm.invocations.find((i) => i.commandId === command.CommandId && i.instanceId === instanceId);
      if (inv) Object.assign(inv, result);
    }, afterMs).unref();
    return { status: "InProgress", responseCode: -1, stdout: "", stderr: "" };
  };
}

export interface Fleet {
  cluster: string;
  head: string[];
  login: string[];
  compute: string[];
}

/** Instances tagged the way ParallelCluster tags a cluster's nodes (EC2 node-type tag values). */
export function seedFleet(model: AwsModel, cluster: string, n: { head?: number; login?: number; compute?: number } = {}): Fleet {
  const make = (count: number, nodeType: string, extra: Record<string, string> = {}) =>
    Array.from({ length: count }, () => model.addInstance({ tags: { "parallelcluster:cluster-name": cluster, "parallelcluster:node-type": nodeType, ...extra } }).id);
  return {
    cluster,
    head: make(n.head ?? 1, "HeadNode"),
    login: make(n.login ?? 2, "LoginNode", { "parallelcluster:login-nodes-pool-name": "login" }),
    compute: make(n.compute ?? 3, "Compute", { "parallelcluster:queue-name": "interactive" }),
  };
}
