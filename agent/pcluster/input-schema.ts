// Named imports, not the `z` namespace: keeps zod's locales out of the bundle (as agent/site/schema.ts).
import { array, boolean, enum as oneOf, number, record, strictObject, string, union, type output } from "zod";
import { AGENT_OSES } from "./versions.js";

/*
 * The cluster input file (`cluster-config render --input FILE`): the infrastructure a cluster
 * configuration needs that is not the site's business (subnets, AMI, file system ids, Slurm's
 * accounting database, IAM). Documented field by field in
 * cluster-config/templates/cluster-input.example.yaml. Strict: an unknown key is an error.
 */

const expected = (what: string) => ({ error: `expected ${what}` });
const id = (what: string, re: RegExp) => string(expected(what)).regex(re, expected(what));

const subnetId = id("a subnet id (subnet- and 8 or 17 characters)", /^subnet-[0-9a-z]{8}$|^subnet-[0-9a-z]{17}$/);
const securityGroups = array(id("a security group id (sg-…)", /^sg-[0-9a-z]{8}$|^sg-[0-9a-z]{17}$/)).default([]);
const policyArns = array(id("an IAM policy ARN (arn:…:policy/…)", /^arn:aws[a-z-]*:iam::\d{12}:policy\/\S+$/)).default([]);
const instanceType = id("an EC2 instance type like m6i.xlarge", /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/);
const s3Url = id("an s3://bucket/prefix URL", /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/);
const count = (min: number) => number(expected("a whole number")).int(expected("a whole number")).min(min, expected(`at least ${min}`));

const queueOverride = strictObject({
  instanceType: instanceType.optional(),
  minCount: count(0).default(0),
  maxCount: count(1).default(10),
  capacityType: oneOf(["ONDEMAND", "SPOT"], expected("ONDEMAND or SPOT")).default("ONDEMAND"),
});

export const clusterInputSchema = strictObject({
  /** `pcluster create-cluster --cluster-name`: tags, parameter path, validation. */
  name: id("a cluster name (letters, digits, '-', starting with a letter, at most 40)", /^[a-zA-Z][a-zA-Z0-9-]{0,39}$/),
  region: id("an AWS region like eu-west-1", /^[a-z]{2}(-[a-z]+)+-\d$/),
  accountId: id("a 12-digit AWS account id", /^\d{12}$/),
  pclusterVersion: id("a ParallelCluster version like 3.13.0", /^3\.\d+(\.\d+)?$/).optional(),
  os: oneOf(AGENT_OSES, expected(`one of ${AGENT_OSES.join(", ")}`)),
  customAmi: id("an AMI id (ami-…) built with pwb-agent", /^ami-[0-9a-z]{8}$|^ami-[0-9a-z]{17}$/),
  /** Where the hook and the site file are uploaded: <artifacts>/pwb-agent-hook.sh and <artifacts>/site.yaml. */
  artifacts: s3Url,
  headNode: strictObject({
    instanceType,
    subnetId,
    keyName: string(expected("an EC2 key pair name")).min(1).optional(),
    additionalSecurityGroups: securityGroups,
    /** Further managed policies, by ARN (the rendered iam/*.json are attached already). */
    policyArns,
  }),
  login: strictObject({
    poolName: id("a pool name (lower-case letters, digits, '-', at most 25)", /^(?!default$)[a-z][a-z0-9-]{0,24}$/).default("login"),
    instanceType,
    subnetId,
    /** Expected concurrent Workbench sessions: sizes the pool by Posit's table unless `count` is given. */
    concurrentSessions: count(1),
    count: count(2).optional(),
    additionalSecurityGroups: securityGroups,
    policyArns,
  }),
  compute: strictObject({
    // Several subnets (one per Availability Zone) make every queue multi-AZ: Instances lists, no duplicates.
    subnetIds: array(subnetId)
      .min(1, expected("at least one subnet"))
      .refine((ids) => new Set(ids).size === ids.length, expected("each subnet once")),
    additionalSecurityGroups: securityGroups,
    policyArns,
  }),
  /** Per site partition (by name): sizes, and the instance type when the site gives only cpus/memory. */
  queues: record(string(), queueOverride).default({}),
  slurmAccounting: strictObject({
    uri: id("host[:port] of the Slurm accounting MySQL/MariaDB, without a scheme", /^(?![a-z][a-z0-9+.-]*:\/\/)[A-Za-z0-9.[\]:-]+$/),
    userName: string(expected("a database user name")).min(1),
    passwordSecretArn: id("a Secrets Manager secret ARN", /^arn:aws[a-z-]*:secretsmanager:\S+:secret:\S+$/),
    databaseName: id("1 to 64 lower-case letters, digits or '_'", /^[0-9a-z_]{1,64}$/).optional(),
  }),
  fileSystems: strictObject({
    /** Existing FSx for Lustre, mounted at the site's storage.home. */
    homeFsxId: id("an FSx id (fs- and 17 characters)", /^fs-[0-9a-z]{17}$/),
    /** Existing EFS, mounted at the site's storage.workbench. */
    workbenchEfsId: id("an EFS id (fs-…)", /^fs-[0-9a-z]{8}$|^fs-[0-9a-z]{17}$/),
    workbenchEfsAccessPointId: id("an EFS access point id (fsap-…)", /^fsap-[0-9a-z]{17}$/).optional(),
  }),
  directoryService: strictObject({
    // ParallelCluster's DomainNameValidator: an FQDN or an LDAP DN of DC= parts.
    domainName: id("a domain name (corp.example.com) or DN (DC=corp,DC=example,DC=com)", /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$|^(DC|dc)=[a-zA-Z0-9_-]+(,(DC|dc)=[a-zA-Z0-9_-]+)*$/),
    domainAddr: string(expected("an ldap:// or ldaps:// address")).min(1),
    passwordSecretArn: id("a secret or SSM parameter ARN", /^arn:.*:(secretsmanager:.*:.*:secret:|ssm:.*:.*:parameter\/).*$/),
    domainReadOnlyUser: string(expected("the read-only user's DN")).min(1),
    ldapTlsCaCert: string().min(1).optional(),
    ldapTlsReqCert: oneOf(["never", "allow", "try", "demand", "hard"], expected("never, allow, try, demand or hard")).optional(),
    generateSshKeysForUsers: boolean(expected("true or false")).optional(),
    additionalSssdConfigs: record(string(), union([string(), number(), boolean()]))
      .refine((c) => c.id_provider === undefined || c.id_provider === "ldap", { message: "expected id_provider: ldap (ParallelCluster allows no other)", path: ["id_provider"] })
      .optional(),
  }).optional(),
  /** SSM parameters login and compute nodes may read. Default /pwb-agent/<name>/. */
  parameterPath: id("an SSM parameter path like /pwb-agent/pwb/", /^\/[A-Za-z0-9_.\-/]*\/$/).optional(),
  // ParallelCluster reserves the parallelcluster: prefix, AWS the aws: prefix in any case; render adds
  // pwb-agent:concurrent-sessions itself. Cluster tags also tag the CloudFormation stack: no empty value.
  tags: record(string().min(1).max(128), string().min(1, "expected a tag value of 1 to 256 characters (CloudFormation stack tags)").max(256))
    .superRefine((tags, ctx) => {
      for (const key of Object.keys(tags).filter((k) => k.startsWith("parallelcluster:") || /^aws:/i.test(k) || k === "pwb-agent:concurrent-sessions")) {
        ctx.addIssue({ code: "custom", path: [key], message: "expected a tag key not starting with parallelcluster: or aws: and not pwb-agent:concurrent-sessions (render sets that one)" });
      }
    })
    .refine((tags) => Object.keys(tags).length <= 39, expected("at most 39 tags (ParallelCluster allows 40 per node; render adds one)"))
    .default({}),
});

export type ClusterInputFile = output<typeof clusterInputSchema>;
