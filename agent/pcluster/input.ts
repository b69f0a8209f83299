/**
 * Everything `cluster-config render` turns into a cluster configuration, hook and IAM policies,
 * already resolved (defaults applied, names derived). It is built from the site file and the
 * cluster input file (build-input.ts) and rendered by pure functions: same input, same bytes.
 */
export interface RenderInput {
  clusterName: string;
  region: string;
  /** AWS partition of the region: aws, aws-cn, aws-us-gov (ARNs). */
  partition: string;
  accountId: string;
  pclusterVersion: string;
  os: string;
  customAmi: string;
  /** s3:// URLs of the uploaded hook and site file: the hook runs `pwb-agent --site <siteUrl> apply`. */
  hookScriptUrl: string;
  siteUrl: string;
  headNode: NodeInput & { subnetId: string; keyName?: string };
  login: NodeInput & { poolName: string; subnetId: string; count: number; concurrentSessions: number };
  compute: { subnetIds: string[]; additionalSecurityGroups: string[]; policyArns: string[] };
  queues: QueueInput[];
  slurmAccounting: { uri: string; userName: string; passwordSecretArn: string; databaseName?: string };
  storage: {
    homeDir: string;
    homeFsxId: string;
    workbenchDir: string;
    workbenchEfsId: string;
    workbenchEfsAccessPointId?: string;
  };
  directoryService?: DirectoryServiceInput;
  /** What login and compute nodes may read (their IAM policies). */
  access: NodeAccess;
  /** The site's Workbench ALB (its `alb:` section), what the ALB statements of the policies are scoped to; null: no ALB. */
  alb: AlbScope | null;
  tags: Array<{ key: string; value: string }>;
  /** JobCompLoc of Slurm's jobcomp/script (site telemetry.jobCompletion): job records as JSON lines. */
  jobCompletionScript?: string;
}

export interface NodeInput {
  instanceType: string;
  additionalSecurityGroups: string[];
  /** AdditionalIamPolicies ARNs. */
  policyArns: string[];
}

export interface QueueInput {
  name: string;
  computeResourceName: string;
  instanceType: string;
  minCount: number;
  maxCount: number;
  capacityType: "ONDEMAND" | "SPOT";
  gpu: boolean;
}

export interface DirectoryServiceInput {
  domainName: string;
  domainAddr: string;
  passwordSecretArn: string;
  domainReadOnlyUser: string;
  ldapTlsCaCert?: string;
  ldapTlsReqCert?: "never" | "allow" | "try" | "demand" | "hard";
  generateSshKeysForUsers?: boolean;
  additionalSssdConfigs?: Record<string, string | number | boolean>;
}

export interface S3Location {
  bucket: string;
  /** Without leading or trailing '/'; "" for the whole bucket. */
  prefix: string;
}

export interface NodeAccess {
  /** The hook and the site file: exact objects. */
  artifacts: S3Location & { keys: string[] };
  /** The artifact mirror (site `mirror.url`), when it is on S3. */
  mirror: S3Location | null;
  /** SSM parameters the nodes may read (a path prefix, e.g. /pwb-agent/pwb/). */
  parameterPath: string;
  /** SecureString parameters no login or compute node may read (the Workbench database password). */
  deniedParameters: string[];
}

/**
 * What the site names of its ALB, each pinning one part of the IAM policies: without a VPC the head
 * node may create nothing, without a zone and record name it may change no DNS record, without
 * target security groups it may open none of them.
 */
export interface AlbScope {
  vpcId: string | null;
  /** The ALB's subnets and scheme: the only ones CreateLoadBalancer may name. */
  subnets: string[];
  scheme: "internal" | "internet-facing";
  hostedZoneId: string | null;
  recordName: string | null;
  targetSecurityGroupIds: string[];
}

export function parseS3(url: string): S3Location | null {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return null;
  return { bucket: m[1]!, prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
