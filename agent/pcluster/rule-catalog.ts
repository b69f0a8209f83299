import { OLDEST_SUPPORTED, SINCE } from "./versions.js";

/**
 * Every rule `cluster-config validate` applies: its id (printed with each issue), the ParallelCluster
 * releases it applies to, where it comes from, and the test that proves it. ParallelCluster's own
 * rules name their source in its CLI (a schema constraint in cluster_schema.py or a validator class);
 * the architecture's rules (`pwb-*`) say why Workbench needs them. cluster-config/README.md shows this
 * table; a test keeps the two equal.
 */
export interface RuleInfo {
  id: string;
  /** First release the rule applies to (OLDEST_SUPPORTED when it held for every release we check). */
  since: string;
  /** What it checks. */
  checks: string;
  /** ParallelCluster's schema constraint or validator; for pwb-* rules, why Workbench needs it. */
  source: string;
  /** A corpus file in test/fixtures/cluster-configs, or the title of the unit test that proves it. */
  test: string;
}

const ALL = OLDEST_SUPPORTED;

export const RULES: readonly RuleInfo[] = [
  // ---- ParallelCluster's schema (marshmallow fields of cluster_schema.py) ----
  { id: "yaml", since: ALL, checks: "YAML syntax; one document; a key written twice in one mapping (with its first line); no merge key (<<) or plain = (PyYAML cannot construct them)", source: "pcluster YAML loader (yaml.safe_load with yaml_no_duplicates_constructor)", test: "broken-yaml-duplicate-key.yaml" },
  { id: "encoding", since: ALL, checks: "the file is UTF-8 without control characters PyYAML refuses (reported at the byte offset, with the line)", source: "load_yaml_dict opens the file as UTF-8; PyYAML's reader refuses non-printable characters", test: "reports bytes that are not UTF-8 and control characters at their byte offset" },
  { id: "unknown-key", since: ALL, checks: "every key is one the schema has in that section (with the key meant, when close)", source: "cluster_schema.py: unknown fields raise \"Unknown field\"", test: "broken-head-unknown-key.yaml" },
  { id: "version", since: ALL, checks: "keys added by a later release (login-pool CustomActions, Dcv and Ssh.AllowedIps 3.11, EFS AccessPointId 3.11, ExternalSlurmdbd 3.10, DefaultUserHome 3.9)", source: "cluster_schema.py of each release (the key is unknown before it)", test: "broken-login-custom-actions-before-3-11.yaml" },
  { id: "deprecated", since: ALL, checks: "warning: a key its release deprecates (LoginNodes Pools Ssh.KeyName from 3.14)", source: "ParallelCluster 3.14.0 changelog (the login pool's key pair is the head node's)", test: "valid-login-key-name-deprecated.yaml" },
  { id: "type", since: ALL, checks: "every value has its field's type (mapping, list, string, integer, number, boolean as marshmallow reads them), the file read as YAML 1.1 like pcluster does (`Value: yes` is not a string)", source: "cluster_schema.py field types", test: "broken-login-count-not-integer.yaml" },
  { id: "required", since: ALL, checks: "required fields (Image.Os, HeadNode.InstanceType, Networking.SubnetId(s), queue and pool Name, …)", source: "cluster_schema.py required=True", test: "broken-head-instance-type-missing.yaml" },
  { id: "range", since: ALL, checks: "every validate.Range and list length of the schema: Count ≥ 0, MaxCount ≥ 1, MinCount ≥ 0, GracetimePeriod 3–120, one login subnet, ≥ 1 queue subnet, ScaledownIdletime ≥ -1, node priorities, ProvisionedThroughput, RAID volumes, FSx chunk size and backup days, bootstrap timeouts", source: "cluster_schema.py validate.Range / validate.Length", test: "broken-login-gracetime-two.yaml" },
  { id: "format", since: ALL, checks: "every validate.Regexp and validate.OneOf of the schema: id and ARN formats (subnet, security group, AMI, EFS, FSx, volume, snapshot, backup, File Cache, policy, role, profile, secret), times, enumerations (CapacityType, AllocationStrategy, ScalingStrategy, StorageType, DeploymentType, VolumeType, DeletionPolicy, RetentionInDays, ImdsSupport, …), DatabaseName", source: "cluster_schema.py validate.Regexp / validate.OneOf", test: "broken-subnet-format.yaml" },
  { id: "os", since: ALL, checks: "Image.Os is one the release supports (rhel9/rocky9 3.9+, alinux2023 3.10+, no centos7 3.10+, ubuntu2404 3.13+, no ubuntu2004 3.14+)", source: "ImageSchema Os OneOf(SUPPORTED_OSES), constants.py by release", test: "broken-os-unknown.yaml" },
  { id: "instance-type", since: ALL, checks: "a compute resource has InstanceType or Instances, not both; no instance type twice in Instances", source: "SlurmComputeResourceSchema (fields_coexist, no_duplicate_instance_types)", test: "broken-instance-type-and-instances.yaml" },
  { id: "iam-exclusive", since: ALL, checks: "InstanceRole, InstanceProfile and AdditionalIamPolicies exclude each other; S3Access only with the role ParallelCluster creates", source: "HeadNodeIamSchema / QueueIamSchema / LoginNodesIamSchema validates_schema", test: "broken-iam-role-and-policies.yaml" },
  { id: "security-groups-mixed", since: ALL, checks: "warning: the head node replaces ParallelCluster's security groups and a queue does not, or the other way round", source: "MixedSecurityGroupOverwriteValidator", test: "valid-security-groups-mixed.yaml" },
  { id: "iam-resource-prefix", since: ALL, checks: "Iam.ResourcePrefix is an IAM path and/or a name prefix (≤ 30 characters, path ≤ 512)", source: "IamResourcePrefixValidator", test: "broken-iam-resource-prefix.yaml" },
  { id: "security-groups", since: ALL, checks: "SecurityGroups and AdditionalSecurityGroups not together", source: "networking schemas: \"can not be configured together\"", test: "broken-security-groups-both.yaml" },
  { id: "custom-action", since: ALL, checks: "an event has Script or Sequence, not both; each step has a Script", source: "OneOrManyCustomActionField", test: "broken-custom-action-script-and-sequence.yaml" },
  { id: "custom-action-url", since: ALL, checks: "custom action scripts are s3:// or https:// URLs", source: "UrlValidator", test: "broken-custom-action-bad-url.yaml" },
  { id: "storage-settings", since: ALL, checks: "the *Settings section matches StorageType; with an existing FileSystemId no settings that only apply to a new file system; EFS ThroughputMode provisioned ⇔ ProvisionedThroughput", source: "SharedStorageSchema no_coexist_storage_settings, EfsSettingsSchema validate_file_system_id_ignored_parameters / validate_existence_of_mode_throughput, FsxLustreSettingsSchema", test: "broken-efs-id-with-settings.yaml" },
  { id: "tag-length", since: ALL, checks: "tag keys ≤ 128 and values ≤ 256 characters", source: "TagSchema validate.Length", test: "broken-tag-value-too-long.yaml" },
  { id: "tag-reserved", since: ALL, checks: "no tag key starting with parallelcluster:", source: "validate_no_reserved_tag", test: "broken-tag-reserved-prefix.yaml" },
  { id: "tag-duplicate", since: ALL, checks: "no tag key twice in one Tags list", source: "validate_no_duplicate_tag", test: "broken-tag-duplicate.yaml" },
  { id: "login-pool-count", since: ALL, checks: "one login pool before 3.11, at most 10 from 3.11", source: "LoginNodesSchema Pools validate.Length(equal=1) through 3.10; LoginNodes reference: up to 10 pools from 3.11", test: "broken-two-login-pools-before-3-11.yaml" },
  // ---- ParallelCluster's offline validators (cluster_config.py registers them; no AWS call needed) ----
  { id: "cluster-name", since: ALL, checks: "the --cluster-name given: letters, digits, '-', ≤ 60, ≤ 40 with Slurm accounting (and with ExternalSlurmdbd from 3.16)", source: "ClusterNameValidator", test: "checks the cluster name given on the command line" },
  { id: "name", since: ALL, checks: "queue, compute-resource and login-pool names: ^[a-z][a-z0-9-]*$, ≤ 25, not default", source: "NameValidator", test: "broken-queue-name-uppercase.yaml" },
  { id: "duplicate", since: ALL, checks: "unique queue, compute-resource, login-pool and shared-storage names", source: "DuplicateNameValidator", test: "broken-queue-name-duplicate.yaml" },
  { id: "queue-count", since: ALL, checks: "at most 50 queues", source: "SchedulingSchema / MAX_NUMBER_OF_QUEUES", test: "enforces 50 queues and 50 compute resources per cluster" },
  { id: "compute-resource-count", since: ALL, checks: "at most 50 compute resources per queue and in the cluster", source: "MAX_COMPUTE_RESOURCES_PER_QUEUE, MAX_NUMBER_OF_COMPUTE_RESOURCES_PER_CLUSTER", test: "enforces 50 queues and 50 compute resources per cluster" },
  { id: "min-max-count", since: ALL, checks: "MinCount ≤ MaxCount; CAPACITY_BLOCK needs MinCount = MaxCount > 0", source: "ComputeResourceSizeValidator", test: "broken-min-count-above-max.yaml" },
  { id: "instance-type-name", since: ALL, checks: "instance types are family.size (m6i.xlarge), checked offline", source: "InstanceTypeValidator (at create time EC2 knows no other name)", test: "broken-instance-type-name.yaml" },
  { id: "allocation-strategy", since: ALL, checks: "a queue with several instance types per compute resource: on-demand (the default) only with AllocationStrategy lowest-price, CAPACITY_BLOCK with none", source: "InstancesAllocationStrategyValidator", test: "broken-allocation-strategy-on-demand.yaml" },
  { id: "queue-subnets-duplicate", since: ALL, checks: "no subnet twice in a queue's SubnetIds", source: "QueueSubnetsValidator", test: "broken-queue-subnet-duplicate.yaml" },
  { id: "single-instance-type-subnet", since: ALL, checks: "a queue in several subnets names its types with Instances, not InstanceType", source: "SingleInstanceTypeSubnetValidator", test: "broken-single-instance-type-two-subnets.yaml" },
  { id: "managed-fsx-multi-az", since: ALL, checks: "no FSx for Lustre created by ParallelCluster when the queues span several subnets", source: "ManagedFsxMultiAzValidator", test: "broken-managed-fsx-multi-subnet.yaml" },
  { id: "efa-multi-az", since: ALL, checks: "no EFA in a queue that spans several subnets", source: "EfaMultiAzValidator", test: "broken-efa-multi-subnet.yaml" },
  { id: "placement-group-multi-az", since: ALL, checks: "no placement group in a queue that spans several subnets", source: "MultiAzPlacementGroupValidator", test: "broken-placement-group-multi-subnet.yaml" },
  { id: "placement-group-naming", since: ALL, checks: "PlacementGroup Id or Name, not both, and not with Enabled: false", source: "PlacementGroupNamingValidator", test: "broken-placement-group-id-and-name.yaml" },
  { id: "mount-dir", since: ALL, checks: "MountDir is a path without '.'-leading or empty parts", source: "SharedStorageSchema MountDir file_path validator", test: "broken-mount-dir-dot-segment.yaml" },
  { id: "mount-dir-reserved", since: ALL, checks: "no shared storage on /bin, /etc, /opt, /opt/slurm, /usr, /var and the other reserved directories", source: "SharedStorageMountDirValidator", test: "broken-mount-dir-reserved.yaml" },
  { id: "mount-dir-duplicate", since: ALL, checks: "no two shared storages at one mount directory", source: "DuplicateMountDirValidator", test: "broken-mount-dir-duplicate.yaml" },
  { id: "file-cache-not-home", since: ALL, checks: "no File Cache at /home", source: "SharedFileCacheNotHomeValidator", test: "broken-file-cache-home.yaml" },
  { id: "storage-count", since: ALL, checks: "≤ 5 EBS volumes, 1 EBS RAID, 1 new EFS, 1 new FSx for Lustre, 20 existing EFS, 20 existing FSx (OpenZFS, ONTAP and File Cache count as FSx)", source: "NumberOfStorageValidator (MAX_EBS_COUNT, MAX_NEW_STORAGE_COUNT, MAX_EXISTING_STORAGE_COUNT)", test: "broken-storage-two-new-efs.yaml" },
  { id: "ebs-volume-size", since: ALL, checks: "an EBS volume's size fits its type: standard 1–1024 GiB, gp2/gp3 1–16384, io1 4–16384, io2 4–65536, st1/sc1 500–16384 (a shared volume without Size is 40 GiB; a root volume is checked when Size is written)", source: "EbsVolumeTypeSizeValidator", test: "broken-ebs-st1-default-size.yaml" },
  { id: "ebs-volume-iops", since: ALL, checks: "Iops only on io1, io2 and gp3, within io1 100–64000 (50/GiB), io2 100–256000 (1000/GiB), gp3 3000–16000 (500/GiB)", source: "EbsVolumeIopsValidator", test: "broken-ebs-iops-on-gp2.yaml" },
  { id: "ebs-volume-throughput", since: ALL, checks: "gp3 Throughput 125–1000 MiB/s and at most a quarter of the IOPS (3000 when Iops is absent), shared and root volumes", source: "EbsVolumeThroughputValidator, EbsVolumeThroughputIopsValidator", test: "broken-ebs-gp3-throughput-ratio.yaml" },
  { id: "fsx-storage-capacity", since: ALL, checks: "a new FSx for Lustre has StorageCapacity: SCRATCH_1 1200, 2400 or n×3600; SCRATCH_2 (the default), PERSISTENT_1/2 SSD 1200 or n×2400; PERSISTENT_1 HDD n×6000 (12 MB/s/TiB) or n×1800 (40)", source: "FsxStorageCapacityValidator", test: "broken-fsx-capacity-scratch-2.yaml" },
  { id: "fsx-deployment-options", since: ALL, checks: "PERSISTENT_1/2 need PerUnitStorageThroughput (SSD: 50/100/200, 125/250/500/1000; HDD: 12/40); KmsKeyId and PerUnitStorageThroughput only for PERSISTENT; HDD only with PERSISTENT_1; DriveCacheType only with HDD", source: "FsxPersistentOptionsValidator, FsxStorageTypeOptionsValidator", test: "broken-fsx-persistent-no-throughput.yaml" },
  { id: "fsx-backup-options", since: ALL, checks: "DailyAutomaticBackupStartTime and CopyTagsToBackups need AutomaticBackupRetentionDays; automatic backups only on PERSISTENT file systems not linked to S3", source: "FsxBackupOptionsValidator", test: "broken-fsx-backup-on-scratch.yaml" },
  { id: "kms-key-encrypted", since: ALL, checks: "a KmsKeyId on an EBS or EFS shared storage needs it encrypted (EBS is by default, EFS only with Encrypted: true)", source: "KmsKeyIdEncryptedValidator", test: "broken-efs-kms-key-not-encrypted.yaml" },
  { id: "root-volume-encryption", since: ALL, checks: "warning: queues whose root volumes differ in Encrypted (default true)", source: "RootVolumeEncryptionConsistencyValidator", test: "valid-root-volume-encryption-mixed.yaml" },
  { id: "efs-mount-options", since: ALL, checks: "EFS IamAuthorization needs EncryptionInTransit", source: "EfsMountOptionsValidator", test: "broken-efs-iam-without-tls.yaml" },
  { id: "efs-access-point", since: SINCE.efsAccessPoint, checks: "an EFS AccessPointId needs FileSystemId and EncryptionInTransit", source: "EfsAccessPointOptionsValidator", test: "broken-efs-access-point-without-tls.yaml" },
  { id: "tag-count", since: ALL, checks: "cluster, queue and compute-resource tags together ≤ 40", source: "ComputeResourceTagsValidator (MAX_TAGS_COUNT)", test: "broken-tag-count.yaml" },
  { id: "database-uri", since: ALL, checks: "Database.Uri is host[:port] without a scheme, port 1–65535", source: "DatabaseUriValidator", test: "broken-database-uri-scheme.yaml" },
  { id: "database-exclusive", since: SINCE.externalSlurmdbd, checks: "Database and ExternalSlurmdbd not together", source: "ExternalSlurmdbdVsDatabaseIncompatibility", test: "broken-database-and-external-slurmdbd.yaml" },
  { id: "external-slurmdbd-munge-key", since: SINCE.externalSlurmdbd, checks: "ExternalSlurmdbd needs MungeKeySecretArn", source: "ExternalSlurmdbdRequiresCustomMungeKey", test: "broken-external-slurmdbd-no-munge-key.yaml" },
  { id: "external-slurmdbd-unencrypted", since: SINCE.externalSlurmdbd, checks: "warning: traffic to an external slurmdbd is not encrypted", source: "ExternalSlurmdbdTrafficNotEncrypted", test: "valid-external-slurmdbd-3-10.yaml" },
  { id: "custom-slurm-settings", since: ALL, checks: "CustomSlurmSettings do not set what ParallelCluster sets (per level; accounting keys when Database is set)", source: "CustomSlurmSettingsValidator (SLURM_SETTINGS_DENY_LIST)", test: "broken-custom-slurm-settings-denied.yaml" },
  { id: "custom-slurm-node-names", since: ALL, checks: "custom Slurm node names without -st- or -dy-", source: "CustomSlurmNodeNamesValidator", test: "broken-custom-slurm-node-name.yaml" },
  { id: "custom-slurm-settings-include-file", since: ALL, checks: "CustomSlurmSettings and CustomSlurmSettingsIncludeFile not together", source: "CustomSlurmSettingsIncludeFileOnlyValidator", test: "broken-custom-slurm-settings-and-include-file.yaml" },
  { id: "node-priorities", since: ALL, checks: "warning: static nodes with a priority at or above a dynamic node's in the same queue", source: "SlurmNodePrioritiesWarningValidator", test: "valid-node-priorities.yaml" },
  { id: "directory-domain-name", since: ALL, checks: "DomainName is an FQDN or a DC= DN", source: "DomainNameValidator", test: "broken-directory-domain-name.yaml" },
  { id: "directory-password-secret", since: ALL, checks: "PasswordSecretArn is a Secrets Manager secret; an SSM parameter only in us-isob-east-1 (the file's Region)", source: "PasswordSecretArnValidator", test: "broken-directory-password-ssm.yaml" },
  { id: "directory-domain-addr", since: ALL, checks: "warning: DomainAddr without ldaps:// (and ldap:// without the SSSD setting that allows it)", source: "DomainAddrValidator", test: "valid-directory-ldap-dn.yaml" },
  { id: "directory-ldap-tls-reqcert", since: ALL, checks: "warning: LdapTlsReqCert other than hard or demand", source: "LdapTlsReqCertValidator", test: "valid-directory-ldap-dn.yaml" },
  { id: "directory-sssd-reserved", since: ALL, checks: "AdditionalSssdConfigs keep id_provider ldap, and access_provider ldap with LdapAccessFilter", source: "AdditionalSssdConfigsValidator", test: "broken-directory-sssd-id-provider.yaml" },
  // ---- The architecture's rules: ParallelCluster accepts these configurations, Workbench does not ----
  { id: "pwb-file-size", since: ALL, checks: "the file is at most 1 MiB (ParallelCluster has no such limit; the report names the byte offset where it is passed)", source: "validate reads a bounded file; a cluster configuration is a few KiB", test: "refuses a file over 1 MiB with a rule and the byte offset" },
  { id: "pwb-integer", since: ALL, checks: "an integer field holds a whole number: ParallelCluster truncates MaxCount: 8.5 to 8 (marshmallow Int), we refuse to guess", source: "a silently truncated count or size is not what was written", test: "broken-max-count-fraction.yaml" },
  { id: "pwb-tag-aws-prefix", since: ALL, checks: "no tag key starting with aws: (in any case), on the cluster, a queue or a compute resource", source: "EC2 and CloudFormation reserve the aws: prefix and refuse such a tag when the cluster's resources are created; ParallelCluster's validators let it through", test: "broken-tag-aws-prefix.yaml" },
  { id: "pwb-tag-empty-value", since: ALL, checks: "a cluster tag has a value of at least one character", source: "the cluster's tags also tag its CloudFormation stack, whose Tag Value has a minimum length of 1 (CloudFormation API reference); ParallelCluster's schema takes an empty one", test: "broken-tag-empty-value.yaml" },
  { id: "pwb-os", since: ALL, checks: "Image.Os is one the agent runs on (not alinux2)", source: "the agent's single executable needs glibc ≥ 2.28; Posit Workbench builds for these", test: "broken-os-alinux2.yaml" },
  { id: "pwb-custom-ami", since: ALL, checks: "every node type boots a custom AMI", source: "the hook only starts the agent baked into the AMI (pwb-agent bake)", test: "broken-no-custom-ami.yaml" },
  { id: "pwb-hook", since: ALL, checks: "OnNodeConfigured runs the agent's hook on the head node, every queue and (3.11+) every login pool; before 3.11 a warning for login pools", source: "the hook is how each node converges to its role", test: "broken-head-hook-missing.yaml" },
  { id: "pwb-scheduler", since: ALL, checks: "Scheduler is slurm", source: "Workbench's launcher submits sessions to Slurm from the login nodes", test: "broken-scheduler-awsbatch.yaml" },
  { id: "pwb-login-pool", since: ALL, checks: "a login pool exists", source: "Workbench runs on the login nodes, behind the load balancer", test: "broken-no-login-nodes.yaml" },
  { id: "pwb-login-count", since: ALL, checks: "a login pool has at least 2 nodes (a warning next to a pool that has them)", source: "load balancing and rolling restarts need two Workbench nodes", test: "broken-login-count-one.yaml" },
  { id: "pwb-login-sizing", since: ALL, checks: "warning: fewer login nodes than Posit's tested sizing for the expected sessions (500 → 2, 1000 → 4, 2000+ → 6)", source: "Posit's reference architecture sizing", test: "warns when the pool is below the table for --sessions, or for the sessions tag" },
  { id: "pwb-home-fsx", since: ALL, checks: "/home is FSx for Lustre", source: "user state and project sharing (POSIX ACLs) live in home directories every node mounts", test: "broken-home-on-efs.yaml" },
  { id: "pwb-workbench-shared", since: ALL, checks: "a shared file system at /opt/rstudio (EFS expected: a warning for others)", source: "the head node writes Workbench's shared configuration there for every login node", test: "broken-no-opt-rstudio.yaml" },
  { id: "pwb-mount-dir-overlap", since: ALL, checks: "no shared storage mounted inside another; ParallelCluster does not check this (its OverlappingMountDirValidator is given storage names, not directories)", source: "a nested mount hides or depends on its parent: /home and /opt/rstudio must be what every node sees", test: "broken-mount-dir-overlap.yaml" },
  { id: "pwb-shared-storage-type", since: ALL, checks: "warning: HeadNode.SharedStorageType Efs (not Ebs or unset)", source: "with Ebs every node mounts /opt/slurm from the head node over NFS", test: "valid-head-shared-storage-ebs.yaml" },
  { id: "pwb-dev-settings", since: ALL, checks: "warning: DevSettings other than Timeouts", source: "DevSettings are for developing ParallelCluster itself; a production cluster should not depend on them", test: "valid-dev-settings-cookbook.yaml" },
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return BY_ID.get(id);
}
