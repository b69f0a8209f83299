// SSM's part of the model: Parameter Store and a minimal Run Command (the fleet issue extends it).
import { createHash, randomUUID } from "node:crypto";
import type { AwsModel } from "./model.js";

export type ParameterType = "String" | "StringList" | "SecureString";

export interface Parameter {
  Name: string;
  Type: ParameterType;
  Value: string;
  Version: number;
  LastModifiedDate: Date;
  DataType: string;
}

export type CommandStatus = "Pending" | "InProgress" | "Delayed" | "Success" | "Cancelled" | "TimedOut" | "Failed" | "Cancelling";

export interface CommandTarget {
  Key: string;
  Values: string[];
}

export interface Command {
  CommandId: string;
  DocumentName: string;
  Comment?: string;
  Parameters: Record<string, string[]>;
  InstanceIds: string[];
  Targets: CommandTarget[];
  RequestedDateTime: Date;
  TimeoutSeconds?: number;
  MaxConcurrency: string;
  MaxErrors: string;
}

/** What one instance's run of a command produced. */
export interface InvocationResult {
  status: CommandStatus;
  responseCode: number;
  stdout: string;
  stderr: string;
}

export interface Invocation extends InvocationResult {
  commandId: string;
  instanceId: string;
  requestedAt: Date;
}

export class SsmModel {
  readonly parameters = new Map<string, Parameter>();
  readonly commands = new Map<string, Command>();
  readonly invocations: Invocation[] = [];
  /** Decides each instance's result of a command; by default it succeeds with no output. */
  onCommand: (command: Command, instanceId: string) => InvocationResult = () => ({
    status: "Success",
    responseCode: 0,
    stdout: "",
    stderr: "",
  });

  constructor(private readonly model: AwsModel) {}

  putParameter(p: { Name: string; Value: string; Type?: ParameterType; DataType?: string }): Parameter {
    const prev = this.parameters.get(p.Name);
    const param: Parameter = {
      Name: p.Name,
      Type: p.Type ?? "String",
      Value: p.Value,
      Version: (prev?.Version ?? 0) + 1,
      LastModifiedDate: new Date(),
      DataType: p.DataType ?? "text",
    };
    this.parameters.set(p.Name, param);
    return param;
  }

  parameterArn(name: string): string {
    return `arn:aws:ssm:${this.model.region}:${this.model.account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  }

  /** What GetParameter shows for a SecureString read without decryption: ciphertext, never the value. */
  ciphertext(p: Parameter): string {
    return "AQICAHg" + createHash("sha256").update(`kms:${p.Name}:${p.Version}`).digest("base64");
  }

  /** Instances a command reaches: InstanceIds, or Targets by tag / InstanceIds key. */
  resolveTargets(instanceIds: string[], targets: CommandTarget[]): string[] {
    if (instanceIds.length) return instanceIds;
    const out: string[] = [];
    for (const inst of this.model.instances.values()) {
      if (inst.state !== "running") continue;
      const tags = this.model.tagsOf(inst.id);
      const ok = targets.every((t) => {
        if (t.Key === "InstanceIds") return t.Values.includes(inst.id);
        if (t.Key.startsWith("tag:")) return t.Values.includes(tags[t.Key.slice(4)] ?? "\u0000");
        if (t.Key === "tag-key") return t.Values.some((v) => v in tags);
        return false;
      });
      if (ok && targets.length) out.push(inst.id);
    }
    return out;
  }

  send(c: Omit<Command, "CommandId" | "RequestedDateTime">): Command {
    const command: Command = { ...c, CommandId: randomUUID(), RequestedDateTime: new Date() };
    this.commands.set(command.CommandId, command);
    for (const instanceId of this.resolveTargets(c.InstanceIds, c.Targets)) {
      this.invocations.push({ commandId: command.CommandId, instanceId, requestedAt: command.RequestedDateTime, ...this.onCommand(command, instanceId) });
    }
    return command;
  }
}
