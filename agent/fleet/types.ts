import type { Role } from "../facts/types.js";
import type { FleetSubcommand } from "./document.js";

/** SSM's per-instance statuses (ListCommandInvocations / GetCommandInvocation). */
export type InvocationStatus = "Pending" | "InProgress" | "Delayed" | "Success" | "Cancelled" | "TimedOut" | "Failed" | "Cancelling" | "Undeliverable" | "Terminated";

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["Success", "Cancelled", "TimedOut", "Failed", "Undeliverable", "Terminated", "DeliveryTimedOut", "ExecutionTimedOut", "InvalidPlatform", "AccessDenied"]);

/** The whole command's state (ListCommands). */
export interface CommandState {
  status: string;
  targetCount: number;
  completedCount: number;
  errorCount: number;
}

export interface InvocationSummary {
  instanceId: string;
  /** The instance's host name, as SSM reports it (may be empty). */
  instanceName: string;
  status: string;
}

export interface InvocationDetail {
  status: string;
  /** The script's exit code; -1 when it never ran. */
  responseCode: number;
  /** SSM keeps the first 24,000 characters of stdout and 8,000 of stderr inline. */
  stdout: string;
  stderr: string;
}

/** The few SSM calls a fleet run makes; the real SDK adapter is ssm-client.ts, tests may fake it. */
export interface FleetSsm {
  sendCommand(input: SendInput): Promise<string>;
  commandState(commandId: string): Promise<CommandState | null>;
  listInvocations(commandId: string): Promise<InvocationSummary[]>;
  /** null while SSM does not know the invocation yet (InvocationDoesNotExist). */
  getInvocation(commandId: string, instanceId: string): Promise<InvocationDetail | null>;
}

export interface SendInput {
  documentName: string;
  targets: Array<{ Key: string; Values: string[] }>;
  parameters: Record<string, string[]>;
  comment: string;
  /** Delivery timeout: how long SSM tries to reach an instance that is not connected. */
  deliveryTimeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
}

export interface FleetOptions {
  subcommand: FleetSubcommand;
  cluster: string;
  role?: Role;
  documentName: string;
  /** How long the agent may run on each node (the document's executionTimeout). */
  executionTimeoutSeconds: number;
  deliveryTimeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  /** Between polls of the command's state. */
  pollMs: number;
  /** Give up waiting after this long (the command keeps running in SSM). */
  waitTimeoutMs: number;
}

/** One node's outcome, as the table and --json show it. */
export type Outcome = "ok" | "changes-pending" | "failed" | "timed-out" | "not-run" | "running";

export interface InstanceResult {
  instanceId: string;
  instanceName: string;
  /** The node's role as the agent reported it (JSON output), when it did. */
  role: string | null;
  status: string;
  outcome: Outcome;
  responseCode: number;
  /** One line: what happened on this node. */
  summary: string;
  stdout: string;
  stderr: string;
}

export interface FleetReport {
  commandId: string;
  subcommand: FleetSubcommand;
  cluster: string;
  role: Role | null;
  commandStatus: string;
  instances: InstanceResult[];
  /** True when the wait ran out before SSM finished. */
  incomplete: boolean;
  durationMs: number;
}
