import type { RenderInput } from "./input.js";

type Statement = Record<string, unknown>;

const s3Object = (input: RenderInput, bucket: string, key: string) => `arn:${input.partition}:s3:::${bucket}/${key}`;

/**
 * Least-privilege policy for login or compute nodes: read the hook and the site file (custom actions
 * download them with the instance role, and login pools have no S3Access setting), read the artifact
 * mirror when it is on S3, read the agent's SSM parameters — and never the Workbench database
 * password, which only the head node needs (explicit Deny, in case it sits under the same path).
 */
export function renderNodePolicy(input: RenderInput, role: "login" | "compute"): string {
  const { access } = input;
  const roleName = role === "login" ? "Login" : "Compute";
  const statements: Statement[] = [
    {
      Sid: `${roleName}ReadsHookAndSiteConfig`,
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: access.artifacts.keys.map((k) => s3Object(input, access.artifacts.bucket, k)),
    },
  ];
  if (access.mirror) {
    const prefix = access.mirror.prefix ? `${access.mirror.prefix}/` : "";
    statements.push(
      { Sid: `${roleName}ReadsMirror`, Effect: "Allow", Action: "s3:GetObject", Resource: s3Object(input, access.mirror.bucket, `${prefix}*`) },
      {
        Sid: `${roleName}ListsMirror`,
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:${input.partition}:s3:::${access.mirror.bucket}`,
        ...(prefix ? { Condition: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {}),
      },
    );
  }
  const parameterArn = (name: string) => name.startsWith("arn:") ? name : `arn:${input.partition}:ssm:${input.region}:${input.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
  statements.push({
    Sid: `${roleName}ReadsAgentParameters`,
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: parameterArn(`${access.parameterPath}*`),
  });
  if (access.deniedParameters.length) {
    statements.push({
      Sid: `${roleName}NeverReadsWorkbenchDatabasePassword`,
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"],
      Resource: access.deniedParameters.map(parameterArn),
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2) + "\n";
}
