import { headAlbStatements, loginAlbStatements, type Statement } from "./iam-alb.js";
import type { RenderInput } from "./input.js";

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
  statements.push({
    Sid: `${roleName}ReadsAgentParameters`,
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: parameterArn(input, `${access.parameterPath}*`),
  });
  if (role === "login" && input.alb) statements.push(...loginAlbStatements(input));
  if (access.deniedParameters.length) {
    statements.push({
      Sid: `${roleName}NeverReadsWorkbenchDatabasePassword`,
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"],
      Resource: access.deniedParameters.map((p) => parameterArn(input, p)),
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2) + "\n";
}

function parameterArn(input: RenderInput, name: string): string {
  return name.startsWith("arn:") ? name : `arn:${input.partition}:ssm:${input.region}:${input.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

/**
 * Least-privilege policy for the head node: read the Workbench database password (only the head node
 * renders database.conf) and the agent's parameters, plus exactly what `alb ensure` and `alb-sync`
 * call when the site has an ALB (iam-alb.ts; test/integration/alb-iam.test.ts checks it against the
 * calls the code makes). The hook, the site file and the mirror come through the head node's
 * S3Access in the cluster config.
 */
export function renderHeadPolicy(input: RenderInput): string {
  const { access } = input;
  const statements: Statement[] = [];
  if (access.deniedParameters.length) {
    statements.push({
      Sid: "HeadReadsWorkbenchDatabasePassword",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: access.deniedParameters.map((p) => parameterArn(input, p)),
    });
  }
  statements.push(
    { Sid: "HeadReadsAgentParameters", Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: parameterArn(input, `${access.parameterPath}*`) },
    ...(input.alb ? headAlbStatements(input, input.alb) : []),
  );
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2) + "\n";
}
