import { stringify } from "yaml";
import type { NodeInput, QueueInput, RenderInput } from "./input.js";
import { SESSIONS_TAG } from "./sizing.js";
import { SINCE, atLeast, parsePclusterVersion } from "./versions.js";
import { pyyamlTags } from "./pyyaml-scalars.js";

/** ARN of a policy `cluster-config render` writes for a role (create it in IAM under this name). */
export type PolicyRole = "head" | "login" | "compute";

export function nodePolicyName(input: RenderInput, role: PolicyRole): string {
  return `pwb-agent-${input.clusterName}-${role}`;
}

export function nodePolicyArn(input: RenderInput, role: PolicyRole): string {
  return `arn:${input.partition}:iam::${input.accountId}:policy/${nodePolicyName(input, role)}`;
}

/** OnNodeConfigured: the hook, told where the site file is; it runs `pwb-agent --site <url> apply`. */
function hook(input: RenderInput) {
  return { OnNodeConfigured: { Script: input.hookScriptUrl, Args: ["--site", input.siteUrl, "apply"] } };
}

const policies = (arns: string[]) => (arns.length ? { AdditionalIamPolicies: arns.map((Policy) => ({ Policy })) } : {});
const extraGroups = (n: Pick<NodeInput, "additionalSecurityGroups">) => (n.additionalSecurityGroups.length ? { AdditionalSecurityGroups: n.additionalSecurityGroups } : {});

function headNode(input: RenderInput) {
  const { access } = input;
  // The head node reads the hook and site file (and the mirror) through ParallelCluster's S3Access,
  // which extends the role it creates; its own policies (ALB sync, the database password) come by ARN.
  const s3Access = [
    { BucketName: access.artifacts.bucket, KeyName: access.artifacts.prefix ? `${access.artifacts.prefix}/*` : "*" },
    ...(access.mirror ? [{ BucketName: access.mirror.bucket, KeyName: access.mirror.prefix ? `${access.mirror.prefix}/*` : "*" }] : []),
  ];
  return {
    InstanceType: input.headNode.instanceType,
    // /opt/slurm and ParallelCluster's shared directories on EFS, not on the head node's NFS (3.8+).
    SharedStorageType: "Efs",
    Networking: { SubnetId: input.headNode.subnetId, ...extraGroups(input.headNode) },
    ...(input.headNode.keyName ? { Ssh: { KeyName: input.headNode.keyName } } : {}),
    Iam: { S3Access: s3Access, ...policies([nodePolicyArn(input, "head"), ...input.headNode.policyArns]) },
    CustomActions: hook(input),
  };
}

function loginNodes(input: RenderInput) {
  const version = parsePclusterVersion(input.pclusterVersion)!;
  const l = input.login;
  return {
    Pools: [
      {
        Name: l.poolName,
        InstanceType: l.instanceType,
        Count: l.count,
        Networking: { SubnetIds: [l.subnetId], ...extraGroups(l) },
        Iam: policies([nodePolicyArn(input, "login"), ...l.policyArns]),
        // Before 3.11 login pools take no custom actions: the AMI's pwb-agent.service converges them.
        ...(atLeast(version, SINCE.loginCustomActions) ? { CustomActions: hook(input) } : {}),
      },
    ],
  };
}

/**
 * A queue in one subnet names its type with InstanceType; across several subnets ParallelCluster
 * needs the Instances list (SingleInstanceTypeSubnetValidator), which EC2 Fleet spreads over the zones.
 */
function instanceTypes(input: RenderInput, q: QueueInput) {
  return input.compute.subnetIds.length > 1 ? { Instances: [{ InstanceType: q.instanceType }] } : { InstanceType: q.instanceType };
}

function scheduling(input: RenderInput) {
  const db = input.slurmAccounting;
  return {
    Scheduler: "slurm",
    SlurmSettings: {
      Database: { Uri: db.uri, UserName: db.userName, PasswordSecretArn: db.passwordSecretArn, ...(db.databaseName ? { DatabaseName: db.databaseName } : {}) },
      // Job completion records (site telemetry.jobCompletion): JobComp* are not on ParallelCluster's deny list.
      ...(input.jobCompletionScript ? { CustomSlurmSettings: [{ JobCompType: "jobcomp/script" }, { JobCompLoc: input.jobCompletionScript }] } : {}),
    },
    SlurmQueues: input.queues.map((q) => ({
      Name: q.name,
      CapacityType: q.capacityType,
      Networking: { SubnetIds: input.compute.subnetIds, ...extraGroups(input.compute) },
      ComputeResources: [{ Name: q.computeResourceName, ...instanceTypes(input, q), MinCount: q.minCount, MaxCount: q.maxCount }],
      ...(q.gpu ? { HealthChecks: { Gpu: { Enabled: true } } } : {}),
      Iam: policies([nodePolicyArn(input, "compute"), ...input.compute.policyArns]),
      CustomActions: hook(input),
    })),
  };
}

function sharedStorage(input: RenderInput) {
  const s = input.storage;
  return [
    { Name: "home", MountDir: s.homeDir, StorageType: "FsxLustre", FsxLustreSettings: { FileSystemId: s.homeFsxId } },
    {
      Name: "workbench",
      MountDir: s.workbenchDir,
      StorageType: "Efs",
      EfsSettings: { FileSystemId: s.workbenchEfsId, EncryptionInTransit: true, ...(s.workbenchEfsAccessPointId ? { AccessPointId: s.workbenchEfsAccessPointId } : {}) },
    },
  ];
}

function directoryService(input: RenderInput) {
  const d = input.directoryService;
  if (!d) return {};
  return {
    DirectoryService: {
      DomainName: d.domainName,
      DomainAddr: d.domainAddr,
      PasswordSecretArn: d.passwordSecretArn,
      DomainReadOnlyUser: d.domainReadOnlyUser,
      ...(d.ldapTlsCaCert ? { LdapTlsCaCert: d.ldapTlsCaCert } : {}),
      ...(d.ldapTlsReqCert ? { LdapTlsReqCert: d.ldapTlsReqCert } : {}),
      ...(d.generateSshKeysForUsers !== undefined ? { GenerateSshKeysForUsers: d.generateSshKeysForUsers } : {}),
      ...(d.additionalSssdConfigs ? { AdditionalSssdConfigs: d.additionalSssdConfigs } : {}),
    },
  };
}

/**
 * The cluster configuration (YAML text). Deterministic: keys in ParallelCluster's documented order,
 * no timestamps, no agent version, so a re-render only differs when the inputs do.
 */
export function renderClusterConfig(input: RenderInput, sources: { site: string; input: string }): string {
  const config = {
    Region: input.region,
    Image: { Os: input.os, CustomAmi: input.customAmi },
    HeadNode: headNode(input),
    LoginNodes: loginNodes(input),
    Scheduling: scheduling(input),
    SharedStorage: sharedStorage(input),
    ...directoryService(input),
    Tags: [...input.tags.map((t) => ({ Key: t.key, Value: t.value })), { Key: SESSIONS_TAG, Value: String(input.login.concurrentSessions) }],
  };
  const header = [
    `# AWS ParallelCluster ${input.pclusterVersion} cluster configuration for Posit Workbench.`,
    `# Rendered by \`pwb-agent cluster-config render\` from ${sources.site} and ${sources.input}; edit those and render again.`,
    "# Before creating the cluster, upload the hook and the site file, and create the three IAM policies:",
    `#   aws s3 cp pwb-agent-hook.sh ${input.hookScriptUrl}`,
    `#   aws s3 cp ${sources.site} ${input.siteUrl}`,
    `#   aws iam create-policy --policy-name ${nodePolicyName(input, "head")} --policy-document file://iam/${nodePolicyName(input, "head")}.json`,
    `#   aws iam create-policy --policy-name ${nodePolicyName(input, "login")} --policy-document file://iam/${nodePolicyName(input, "login")}.json`,
    `#   aws iam create-policy --policy-name ${nodePolicyName(input, "compute")} --policy-document file://iam/${nodePolicyName(input, "compute")}.json`,
    `#   pcluster create-cluster --cluster-name ${input.clusterName} --cluster-configuration cluster.yaml`,
  ];
  // YAML 1.1 quoting, as pcluster reads YAML 1.1: a tag value "yes" or "1:30" stays a string.
  return `${header.join("\n")}\n${stringify(config, { version: "1.1", customTags: pyyamlTags, merge: false, lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false })}`;
}
