import albPolicy from "../../cluster-config/iam/pwb-head-node-alb.json";
import { PWB_MANAGED_BY, PWB_TAG_CLUSTER, PWB_TAG_MANAGED_BY, PWB_TAG_ROLE } from "../alb/types.js";
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
  statements.push({
    Sid: `${roleName}ReadsAgentParameters`,
    Effect: "Allow",
    Action: ["ssm:GetParameter", "ssm:GetParameters"],
    Resource: parameterArn(input, `${access.parameterPath}*`),
  });
  if (role === "login") statements.push(...loginSelfRegistration(input));
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

/**
 * A login node puts itself in and takes itself out of this cluster's Workbench target group
 * (pwb-alb-self.service): the lookups (Describe* takes no resource-level scope) and the two target
 * changes on the group `alb ensure` tagged for this cluster, nothing else.
 */
function loginSelfRegistration(input: RenderInput): Statement[] {
  return [
    {
      Sid: "LoginFindsWorkbenchTargetGroupAndItsOwnHealth",
      Effect: "Allow",
      Action: [
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
      ],
      Resource: "*",
    },
    {
      Sid: "LoginRegistersItselfInThisClustersWorkbenchTargetGroupOnly",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
      Resource: `arn:${input.partition}:elasticloadbalancing:${input.region}:${input.accountId}:targetgroup/*/*`,
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${PWB_TAG_MANAGED_BY}`]: PWB_MANAGED_BY,
          [`aws:ResourceTag/${PWB_TAG_ROLE}`]: "workbench-target-group",
          [`aws:ResourceTag/${PWB_TAG_CLUSTER}`]: input.clusterName,
        },
      },
    },
  ];
}

function parameterArn(input: RenderInput, name: string): string {
  return name.startsWith("arn:") ? name : `arn:${input.partition}:ssm:${input.region}:${input.accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
}

/**
 * Least-privilege policy for the head node: read the Workbench database password (only the head node
 * renders database.conf) and the agent's parameters, plus exactly what `alb ensure` and `alb-sync`
 * call (cluster-config/iam/pwb-head-node-alb.json, checked against the calls the code makes). The
 * hook, the site file and the mirror come through the head node's S3Access in the cluster config.
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
    ...(albPolicy.Statement as Statement[]),
  );
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2) + "\n";
}
