// The real SSM client behind FleetSsm. The SDK is loaded with import() on first use, so every other
// command starts without it (and --help stays fast).
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { CommandState, FleetSsm, InvocationDetail, InvocationSummary, SendInput } from "./types.js";

export interface SsmClientOptions {
  /** Unset: the SDK's own resolution (AWS_REGION, the config file). */
  region?: string;
  /** Unset: the SDK's resolution, which honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SSM. */
  endpoint?: string;
  maxAttempts?: number;
  /** Unset: the SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const errorName = (e: unknown) => (e as { name?: string })?.name ?? "";

export async function createFleetSsm(o: SsmClientOptions = {}): Promise<FleetSsm> {
  // Node 20 is past its end of life; the SDK says so on every start. Set here, not at import time:
  // commands that never call AWS must not touch the environment either.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const sdk = await import("@aws-sdk/client-ssm");
  const client: SSMClient = new sdk.SSMClient({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    retryMode: "standard",
    ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    requestHandler: { requestTimeout: 10_000, throwOnRequestTimeout: true, connectionTimeout: 3_000 },
  });

  return {
    async sendCommand(i: SendInput): Promise<string> {
      const out = await client.send(
        new sdk.SendCommandCommand({
          DocumentName: i.documentName,
          Targets: i.targets,
          Parameters: i.parameters,
          Comment: i.comment.slice(0, 100),
          TimeoutSeconds: i.deliveryTimeoutSeconds,
          MaxConcurrency: i.maxConcurrency,
          MaxErrors: i.maxErrors,
        }),
      );
      const id = out.Command?.CommandId;
      if (!id) throw new Error("SendCommand answered without a CommandId");
      return id;
    },

    async commandState(commandId: string): Promise<CommandState | null> {
      const out = await client.send(new sdk.ListCommandsCommand({ CommandId: commandId }));
      const c = out.Commands?.[0];
      if (!c) return null;
      return { status: c.Status ?? "Pending", targetCount: c.TargetCount ?? 0, completedCount: c.CompletedCount ?? 0, errorCount: c.ErrorCount ?? 0 };
    },

    async listInvocations(commandId: string): Promise<InvocationSummary[]> {
      const rows: InvocationSummary[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(new sdk.ListCommandInvocationsCommand({ CommandId: commandId, MaxResults: 50, ...(token ? { NextToken: token } : {}) }));
        for (const inv of out.CommandInvocations ?? []) {
          if (inv.InstanceId) rows.push({ instanceId: inv.InstanceId, instanceName: inv.InstanceName ?? "", status: inv.Status ?? "Pending" });
        }
        token = out.NextToken;
      } while (token);
      return rows;
    },

    async getInvocation(commandId: string, instanceId: string): Promise<InvocationDetail | null> {
      try {
        const out = await client.send(new sdk.GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
        return {
          status: out.Status ?? "Pending",
          responseCode: out.ResponseCode ?? -1,
          stdout: out.StandardOutputContent ?? "",
          stderr: out.StandardErrorContent ?? "",
        };
      } catch (e) {
        // Eventual consistency: right after SendCommand the invocation may not be readable yet.
        if (errorName(e) === "InvocationDoesNotExist") return null;
        throw e;
      }
    },
  };
}
