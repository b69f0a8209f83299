// SSM over awsJson1_1 (`X-Amz-Target: AmazonSSM.<Action>`): Parameter Store reads and a minimal
// Run Command (SendCommand, ListCommandInvocations, GetCommandInvocation).
import { AwsApiError } from "./errors.js";
import type { AwsModel } from "./model.js";
import { paginate, type ListShaping } from "./paging.js";
import type { Command, Invocation, Parameter } from "./ssm-model.js";

export interface SsmContext extends ListShaping {
  body: Record<string, unknown>;
  model: AwsModel;
}

type Handler = (ctx: SsmContext) => Record<string, unknown>;

/** awsJson timestamps are epoch seconds. */
const epoch = (d: Date) => d.getTime() / 1000;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function parameterJson(model: AwsModel, p: Parameter, decrypt: boolean): Record<string, unknown> {
  return {
    Name: p.Name,
    Type: p.Type,
    Value: p.Type === "SecureString" && !decrypt ? model.ssm.ciphertext(p) : p.Value,
    Version: p.Version,
    LastModifiedDate: epoch(p.LastModifiedDate),
    ARN: model.ssm.parameterArn(p.Name),
    DataType: p.DataType,
  };
}

const RUNNING = new Set(["Pending", "InProgress", "Delayed", "Cancelling"]);
const ERRORS = new Set(["Failed", "TimedOut", "Cancelled"]);

/** The Command shape SendCommand and ListCommands answer with; its state derived from its invocations. */
export function commandJson(model: AwsModel, c: Command): Record<string, unknown> {
  const inv = model.ssm.invocations.filter((i) => i.commandId === c.CommandId);
  const done = inv.filter((i) => !RUNNING.has(i.status));
  const errors = inv.filter((i) => ERRORS.has(i.status));
  const status = inv.length === 0 ? "Success" : done.length < inv.length ? "InProgress" : errors.length ? "Failed" : "Success";
  return {
    CommandId: c.CommandId,
    DocumentName: c.DocumentName,
    DocumentVersion: "$DEFAULT",
    Comment: c.Comment ?? "",
    ExpiresAfter: epoch(c.RequestedDateTime) + (c.TimeoutSeconds ?? 3600),
    Parameters: c.Parameters,
    InstanceIds: c.InstanceIds,
    Targets: c.Targets,
    RequestedDateTime: epoch(c.RequestedDateTime),
    Status: status,
    StatusDetails: status,
    MaxConcurrency: c.MaxConcurrency,
    MaxErrors: c.MaxErrors,
    TargetCount: inv.length,
    CompletedCount: done.length,
    ErrorCount: errors.length,
    DeliveryTimedOutCount: 0,
    TimeoutSeconds: c.TimeoutSeconds ?? 3600,
  };
}

function invocationJson(model: AwsModel, i: Invocation, details: boolean): Record<string, unknown> {
  const c = model.ssm.commands.get(i.commandId)!;
  return {
    CommandId: i.commandId,
    InstanceId: i.instanceId,
    InstanceName: "",
    Comment: c.Comment ?? "",
    DocumentName: c.DocumentName,
    DocumentVersion: "$DEFAULT",
    RequestedDateTime: epoch(i.requestedAt),
    Status: i.status,
    StatusDetails: i.status,
    StandardOutputUrl: "",
    StandardErrorUrl: "",
    ...(details
      ? {
          CommandPlugins: [{
            Name: "aws:runShellScript",
            Status: i.status,
            StatusDetails: i.status,
            ResponseCode: i.responseCode,
            Output: (i.stdout + i.stderr).slice(0, 2500),
            StandardOutputUrl: "",
            StandardErrorUrl: "",
          }],
        }
      : {}),
  };
}

export const SSM_ACTIONS: Record<string, Handler> = {
  GetParameter({ body, model }) {
    const name = str(body.Name);
    const p = name === undefined ? undefined : model.ssm.parameters.get(name);
    if (!p) throw new AwsApiError("ParameterNotFound", "");
    return { Parameter: parameterJson(model, p, body.WithDecryption === true) };
  },

  GetParameters({ body, model }) {
    const names = strings(body.Names);
    if (names.length < 1 || names.length > 10) {
      throw new AwsApiError("ValidationException", "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10");
    }
    const found = names.map((n) => model.ssm.parameters.get(n)).filter((p): p is Parameter => p !== undefined);
    return {
      Parameters: found.map((p) => parameterJson(model, p, body.WithDecryption === true)),
      InvalidParameters: names.filter((n) => !model.ssm.parameters.has(n)),
    };
  },

  SendCommand({ body, model }) {
    const documentName = str(body.DocumentName);
    if (!documentName) throw new AwsApiError("ValidationException", "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null");
    const instanceIds = strings(body.InstanceIds);
    const targets = Array.isArray(body.Targets)
      ? (body.Targets as Array<Record<string, unknown>>).map((t) => ({ Key: str(t.Key) ?? "", Values: strings(t.Values) }))
      : [];
    if (!instanceIds.length && !targets.length) throw new AwsApiError("InvalidParameters", "Either InstanceIds or Targets must be specified");
    const unknown = instanceIds.filter((id) => model.instances.get(id)?.state !== "running");
    if (unknown.length) throw new AwsApiError("InvalidInstanceId", "Instances [[" + unknown.join(", ") + "]] not in a valid state for account " + model.account);
    const parameters = (body.Parameters ?? {}) as Record<string, string[]>;
    const comment = str(body.Comment);
    const timeout = typeof body.TimeoutSeconds === "number" ? body.TimeoutSeconds : undefined;
    const command = model.ssm.send({
      DocumentName: documentName,
      ...(comment ? { Comment: comment } : {}),
      Parameters: parameters,
      InstanceIds: instanceIds,
      Targets: targets,
      ...(timeout !== undefined ? { TimeoutSeconds: timeout } : {}),
      MaxConcurrency: str(body.MaxConcurrency) ?? "50",
      MaxErrors: str(body.MaxErrors) ?? "0",
    });
    // AWS answers SendCommand before any instance has run it: Pending, nothing completed yet.
    return { Command: { ...commandJson(model, command), Status: "Pending", StatusDetails: "Pending", CompletedCount: 0, ErrorCount: 0 } };
  },

  ListCommandInvocations({ body, model, ...shape }) {
    const commandId = str(body.CommandId);
    const instanceId = str(body.InstanceId);
    if (commandId && !model.ssm.commands.has(commandId)) throw new AwsApiError("InvalidCommandId", "");
    const rows = model.ssm.invocations.filter((i) => (!commandId || i.commandId === commandId) && (!instanceId || i.instanceId === instanceId));
    const max = typeof body.MaxResults === "number" ? body.MaxResults : undefined;
    const { page, next } = paginate(rows, str(body.NextToken), max, 50, shape);
    return { CommandInvocations: page.map((i) => invocationJson(model, i, body.Details === true)), ...(next ? { NextToken: next } : {}) };
  },

  GetCommandInvocation({ body, model }) {
    const commandId = str(body.CommandId) ?? "";
    const instanceId = str(body.InstanceId) ?? "";
    if (!model.ssm.commands.has(commandId)) throw new AwsApiError("InvalidCommandId", "");
    const i = model.ssm.invocations.find((x) => x.commandId === commandId && x.instanceId === instanceId);
    if (!i) throw new AwsApiError("InvocationDoesNotExist", "");
    const c = model.ssm.commands.get(commandId)!;
    const start = i.requestedAt.toISOString();
    return {
      CommandId: commandId,
      InstanceId: instanceId,
      Comment: c.Comment ?? "",
      DocumentName: c.DocumentName,
      DocumentVersion: "$DEFAULT",
      PluginName: str(body.PluginName) ?? "aws:runShellScript",
      ResponseCode: i.responseCode,
      ExecutionStartDateTime: start,
      ExecutionElapsedTime: "PT0.1S",
      ExecutionEndDateTime: start,
      Status: i.status,
      StatusDetails: i.status,
      // AWS truncates inline output: 24,000 characters of stdout, 8,000 of stderr.
      StandardOutputContent: i.stdout.slice(0, 24_000),
      StandardOutputUrl: "",
      StandardErrorContent: i.stderr.slice(0, 8_000),
      StandardErrorUrl: "",
    };
  },
};
