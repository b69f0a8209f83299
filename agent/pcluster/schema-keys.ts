// size: a data table (every key of ParallelCluster's cluster schema); no logic to split.
import { SINCE } from "./versions.js";

/**
 * Every key ParallelCluster's cluster schema accepts, section by section (CLI cluster_schema.py and
 * common_schema.py, read at 3.8.0, 3.9.0, 3.10.0, 3.11.0 and 3.12.0; keys added later come from the
 * configuration reference). The schema library rejects any other key ("Unknown field"), so
 * `validate` does too. `since` names a key's first release; a map or list entry names the section
 * below it, which is checked the same way. Free-form values (CustomSlurmSettings,
 * AdditionalSssdConfigs, ExtraChefAttributes) have no entry: their content is not checked.
 */
/** The newest release whose schema source the key table was read from. */
export const SCHEMA_READ_UP_TO = "3.12.0";

export interface Section {
  keys: readonly string[];
  since?: Readonly<Record<string, string>>;
  maps?: Readonly<Record<string, Section>>;
  lists?: Readonly<Record<string, Section>>;
  /** validate.OneOf of a key (for a list of strings: of each item). */
  enums?: Readonly<Record<string, readonly (string | number)[]>>;
  /** validate.Regexp of a key (for a list of strings: of each item), and what it means. */
  patterns?: Readonly<Record<string, Pattern>>;
  /** validate.Range of a key, inclusive. */
  ranges?: Readonly<Record<string, readonly [number, number]>>;
  /** Keys a release deprecates (still accepted): from which release, and what to do instead. */
  deprecated?: Readonly<Record<string, { since: string; instead: string }>>;
}

export interface Pattern {
  re: RegExp;
  what: string;
}

const ANY = Number.MAX_SAFE_INTEGER;
const pattern = (re: RegExp, what: string): Pattern => ({ re, what });
const SUBNET = pattern(/^subnet-[0-9a-z]{8}$|^subnet-[0-9a-z]{17}$/, "a subnet id (subnet- and 8 or 17 characters)");
const SECURITY_GROUP = pattern(/^sg-[0-9a-z]{8}$|^sg-[0-9a-z]{17}$/, "a security group id (sg- and 8 or 17 characters)");
const AMI = pattern(/^ami-[0-9a-z]{8}$|^ami-[0-9a-z]{17}$/, "an AMI id (ami- and 8 or 17 lower-case letters or digits)");
const ROLE = pattern(/^arn:.*:role\//, "an IAM role ARN (arn:…:role/…)");
const PROFILE = pattern(/^arn:.*:instance-profile\//, "an instance profile ARN (arn:…:instance-profile/…)");
const POLICY = pattern(/^arn:.*:policy\//, "an IAM policy ARN (arn:…:policy/…)");
const FILE_PATH = pattern(/^\/?[^/.\\][^/\\]*(\/[^/.\\][^/]*)*$/, "a path without '.'-leading or empty parts");
const VOLUME_TYPES = ["standard", "io1", "io2", "gp2", "st1", "sc1", "gp3"];
const DELETION = ["Delete", "Retain"];
const SECURITY_GROUPS = { AdditionalSecurityGroups: SECURITY_GROUP, SecurityGroups: SECURITY_GROUP };

const TAGS: Section = { keys: ["Key", "Value"] };
const IMAGE_AMI: Section = { keys: ["CustomAmi"], patterns: { CustomAmi: AMI } };
const PROXY: Section = { keys: ["HttpProxyAddress"] };
const NODE_EVENTS = ["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"];
const ACTION: Section = { keys: ["Script", "Args", "Sequence"], lists: { Sequence: { keys: ["Script", "Args"] } } };
const ACTIONS = (events: string[]): Section => ({ keys: events, maps: Object.fromEntries(events.map((e) => [e, ACTION])) });
const S3_ACCESS: Section = { keys: ["BucketName", "KeyName", "EnableWriteAccess"], patterns: { BucketName: pattern(/^[*a-z0-9.-]+$/, "an S3 bucket name (lower-case letters, digits, '.', '-', '*')") } };
const NODE_IAM = (withS3Access: boolean): Section => ({
  keys: ["InstanceRole", "InstanceProfile", "AdditionalIamPolicies", ...(withS3Access ? ["S3Access"] : [])],
  lists: { AdditionalIamPolicies: { keys: ["Policy"], patterns: { Policy: POLICY } }, ...(withS3Access ? { S3Access: S3_ACCESS } : {}) },
  patterns: { InstanceRole: ROLE, InstanceProfile: PROFILE },
});
const DCV: Section = { keys: ["Enabled", "Port", "AllowedIps"] };
const ROOT_VOLUME = (headNode: boolean): Section => ({
  keys: ["Size", "Encrypted", "VolumeType", "Iops", "Throughput", ...(headNode ? ["DeleteOnTermination"] : [])],
  ...(headNode ? { enums: { VolumeType: VOLUME_TYPES } } : {}),
});
const LOCAL_STORAGE = (headNode: boolean): Section => ({
  keys: ["RootVolume", "EphemeralVolume"],
  maps: { RootVolume: ROOT_VOLUME(headNode), EphemeralVolume: { keys: ["MountDir"], patterns: { MountDir: FILE_PATH } } },
});
const PLACEMENT_GROUP: Section = { keys: ["Enabled", "Id", "Name"] };
const CAPACITY_RESERVATION: Section = { keys: ["CapacityReservationId", "CapacityReservationResourceGroupArn"] };
const HEALTH_CHECKS: Section = { keys: ["Gpu"], maps: { Gpu: { keys: ["Enabled"] } } };

export const CLUSTER_SCHEMA: Section = {
  keys: [
    "Region", "Image", "HeadNode", "Scheduling", "LoginNodes", "SharedStorage", "Monitoring", "AdditionalPackages", "Tags",
    "Iam", "DirectoryService", "Imds", "CustomS3Bucket", "AdditionalResources", "DevSettings", "DeploymentSettings",
  ],
  maps: {
    Image: { keys: ["Os", "CustomAmi"], patterns: { CustomAmi: AMI } },
    Imds: { keys: ["ImdsSupport"], enums: { ImdsSupport: ["v1.0", "v2.0"] } },
    HeadNode: {
      keys: ["InstanceType", "DisableSimultaneousMultithreading", "Networking", "Ssh", "LocalStorage", "Dcv", "CustomActions", "Iam", "Imds", "Image", "SharedStorageType"],
      enums: { SharedStorageType: ["Ebs", "Efs"] },
      maps: {
        Networking: {
          keys: ["SubnetId", "ElasticIp", "SecurityGroups", "AdditionalSecurityGroups", "Proxy"],
          maps: { Proxy: PROXY },
          patterns: { SubnetId: SUBNET, ...SECURITY_GROUPS },
        },
        Ssh: { keys: ["KeyName", "AllowedIps"] },
        LocalStorage: LOCAL_STORAGE(true),
        Dcv: DCV,
        Iam: NODE_IAM(true),
        CustomActions: ACTIONS(NODE_EVENTS),
        Image: IMAGE_AMI,
        Imds: { keys: ["Secured"] },
      },
    },
    LoginNodes: {
      keys: ["Pools"],
      lists: {
        Pools: {
          keys: ["Name", "InstanceType", "Image", "Networking", "Count", "Ssh", "Iam", "GracetimePeriod", "Dcv", "CustomActions"],
          since: { Dcv: SINCE.loginPoolDcv, CustomActions: SINCE.loginCustomActions },
          ranges: { Count: [0, ANY], GracetimePeriod: [3, 120] },
          maps: {
            Networking: { keys: ["SubnetIds", "SecurityGroups", "AdditionalSecurityGroups", "Proxy"], maps: { Proxy: PROXY }, patterns: { SubnetIds: SUBNET, ...SECURITY_GROUPS } },
            Ssh: {
              keys: ["KeyName", "AllowedIps"],
              since: { AllowedIps: SINCE.loginPoolSshAllowedIps },
              deprecated: { KeyName: { since: SINCE.loginPoolKeyNameDeprecated, instead: "login nodes take the head node's key (HeadNode.Ssh.KeyName); a different key never worked, as /home is shared" } },
            },
            Iam: NODE_IAM(false),
            Dcv: DCV,
            CustomActions: ACTIONS(NODE_EVENTS),
            Image: IMAGE_AMI,
          },
        },
      },
    },
    Scheduling: {
      keys: ["Scheduler", "ScalingStrategy", "SlurmSettings", "SlurmQueues", "AwsBatchQueues", "AwsBatchSettings"],
      enums: { Scheduler: ["slurm", "awsbatch"], ScalingStrategy: ["all-or-nothing", "best-effort", "greedy-all-or-nothing"] },
      maps: {
        SlurmSettings: {
          keys: [
            "ScaledownIdletime", "Dns", "QueueUpdateStrategy", "EnableMemoryBasedScheduling", "Database", "ExternalSlurmdbd",
            "CustomSlurmSettings", "CustomSlurmSettingsIncludeFile", "MungeKeySecretArn",
          ],
          since: { ExternalSlurmdbd: SINCE.externalSlurmdbd },
          enums: { QueueUpdateStrategy: ["DRAIN", "COMPUTE_FLEET_STOP", "TERMINATE"] },
          ranges: { ScaledownIdletime: [-1, ANY] },
          maps: {
            Database: {
              keys: ["Uri", "UserName", "PasswordSecretArn", "DatabaseName"],
              patterns: { PasswordSecretArn: pattern(/^arn:.*:secret/, "a Secrets Manager secret ARN (arn:…:secret:…)"), DatabaseName: pattern(/^[0-9a-z_]{1,64}$/, "1 to 64 lower-case letters, digits or '_'") },
            },
            ExternalSlurmdbd: { keys: ["Host", "Port"] },
            Dns: { keys: ["DisableManagedDns", "HostedZoneId", "UseEc2Hostnames"] },
          },
        },
      },
      lists: {
        SlurmQueues: {
          keys: [
            "Name", "CapacityType", "AllocationStrategy", "ComputeSettings", "CustomActions", "Iam", "Image", "CapacityReservationTarget",
            "ComputeResources", "Networking", "HealthChecks", "CustomSlurmSettings", "Tags", "JobExclusiveAllocation",
          ],
          enums: { CapacityType: ["ONDEMAND", "SPOT", "CAPACITY_BLOCK"], AllocationStrategy: ["lowest-price", "capacity-optimized", "price-capacity-optimized"] },
          maps: {
            ComputeSettings: { keys: ["LocalStorage"], maps: { LocalStorage: LOCAL_STORAGE(false) } },
            Networking: {
              keys: ["SubnetIds", "SecurityGroups", "AdditionalSecurityGroups", "AssignPublicIp", "PlacementGroup", "Proxy"],
              maps: { Proxy: PROXY, PlacementGroup: PLACEMENT_GROUP },
              patterns: { SubnetIds: SUBNET, ...SECURITY_GROUPS },
            },
            Iam: NODE_IAM(true),
            // Compute nodes have no OnNodeUpdated (schema QueueCustomActionsSchema).
            CustomActions: ACTIONS(["OnNodeStart", "OnNodeConfigured"]),
            Image: IMAGE_AMI,
            CapacityReservationTarget: CAPACITY_RESERVATION,
            HealthChecks: HEALTH_CHECKS,
          },
          lists: {
            Tags: TAGS,
            ComputeResources: {
              keys: [
                "Name", "InstanceType", "Instances", "MaxCount", "MinCount", "SpotPrice", "Efa", "DisableSimultaneousMultithreading",
                "SchedulableMemory", "CapacityReservationTarget", "Networking", "HealthChecks", "CustomSlurmSettings", "Tags",
                "StaticNodePriority", "DynamicNodePriority",
              ],
              ranges: { MinCount: [0, ANY], MaxCount: [1, ANY], SpotPrice: [0, ANY], StaticNodePriority: [1, 2 ** 32 - 1], DynamicNodePriority: [1, 2 ** 32 - 1] },
              maps: {
                Efa: { keys: ["Enabled", "GdrSupport"] },
                CapacityReservationTarget: CAPACITY_RESERVATION,
                Networking: { keys: ["PlacementGroup"], maps: { PlacementGroup: PLACEMENT_GROUP } },
                HealthChecks: HEALTH_CHECKS,
              },
              lists: { Tags: TAGS, Instances: { keys: ["InstanceType"] } },
            },
          },
        },
      },
    },
    Monitoring: {
      keys: ["DetailedMonitoring", "Logs", "Dashboards", "Alarms"],
      maps: {
        Logs: {
          keys: ["CloudWatch", "Rotation"],
          maps: {
            CloudWatch: {
              keys: ["Enabled", "RetentionInDays", "DeletionPolicy"],
              enums: { RetentionInDays: [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653], DeletionPolicy: DELETION },
            },
            Rotation: { keys: ["Enabled"] },
          },
        },
        Dashboards: { keys: ["CloudWatch"], maps: { CloudWatch: { keys: ["Enabled"] } } },
        Alarms: { keys: ["Enabled"] },
      },
    },
    AdditionalPackages: { keys: ["IntelSoftware"], maps: { IntelSoftware: { keys: ["IntelHpcPlatform"] } } },
    DirectoryService: {
      keys: [
        "DomainName", "DomainAddr", "PasswordSecretArn", "DomainReadOnlyUser", "LdapTlsCaCert", "LdapTlsReqCert", "LdapAccessFilter",
        "GenerateSshKeysForUsers", "AdditionalSssdConfigs",
      ],
      enums: { LdapTlsReqCert: ["never", "allow", "try", "demand", "hard"] },
      patterns: { PasswordSecretArn: pattern(/^arn:.*:(secretsmanager:.*:.*:secret:|ssm:.*:.*:parameter\/).*$/, "a Secrets Manager secret or SSM parameter ARN") },
    },
    Iam: { keys: ["Roles", "PermissionsBoundary", "ResourcePrefix"], maps: { Roles: { keys: ["LambdaFunctionsRole"] } }, patterns: { PermissionsBoundary: POLICY } },
    DeploymentSettings: {
      keys: ["LambdaFunctionsVpcConfig", "DisableSudoAccessForDefaultUser", "DefaultUserHome"],
      since: { DefaultUserHome: SINCE.defaultUserHome, DisableSudoAccessForDefaultUser: SINCE.defaultUserHome },
      enums: { DefaultUserHome: ["Shared", "Local"] },
      maps: { LambdaFunctionsVpcConfig: { keys: ["SecurityGroupIds", "SubnetIds"] } },
    },
    DevSettings: {
      keys: ["Cookbook", "NodePackage", "AwsBatchCliPackage", "ClusterTemplate", "AmiSearchFilters", "InstanceTypesData", "Timeouts", "ComputeStartupTimeMetricEnabled"],
      maps: {
        Cookbook: { keys: ["ChefCookbook", "ExtraChefAttributes"] },
        AmiSearchFilters: { keys: ["Tags", "Owner"], lists: { Tags: TAGS } },
        Timeouts: { keys: ["HeadNodeBootstrapTimeout", "ComputeNodeBootstrapTimeout"], ranges: { HeadNodeBootstrapTimeout: [1, ANY], ComputeNodeBootstrapTimeout: [1, ANY] } },
      },
    },
  },
  lists: {
    Tags: TAGS,
    SharedStorage: {
      keys: ["MountDir", "Name", "StorageType", "EbsSettings", "EfsSettings", "FsxLustreSettings", "FsxOpenZfsSettings", "FsxOntapSettings", "FileCacheSettings"],
      // MountDir's file_path pattern is rule mount-dir (rules/storage.ts), with the other mount checks.
      enums: { StorageType: ["Ebs", "FsxLustre", "FsxOpenZfs", "FsxOntap", "Efs", "FileCache"] },
      maps: {
        EbsSettings: {
          keys: ["VolumeType", "Iops", "Size", "KmsKeyId", "Throughput", "Encrypted", "SnapshotId", "VolumeId", "Raid", "DeletionPolicy"],
          enums: { VolumeType: VOLUME_TYPES, DeletionPolicy: [...DELETION, "Snapshot"] },
          patterns: { SnapshotId: pattern(/^snap-[0-9a-z]{8}$|^snap-[0-9a-z]{17}$/, "a snapshot id (snap-…)"), VolumeId: pattern(/^vol-[0-9a-z]{8}$|^vol-[0-9a-z]{17}$/, "a volume id (vol-…)") },
          maps: { Raid: { keys: ["Type", "NumberOfVolumes"], enums: { Type: [0, 1] }, ranges: { NumberOfVolumes: [2, 5] } } },
        },
        EfsSettings: {
          keys: [
            "Encrypted", "KmsKeyId", "PerformanceMode", "ThroughputMode", "ProvisionedThroughput", "FileSystemId", "DeletionPolicy",
            "EncryptionInTransit", "IamAuthorization", "AccessPointId",
          ],
          since: { AccessPointId: SINCE.efsAccessPoint },
          enums: { PerformanceMode: ["generalPurpose", "maxIO"], ThroughputMode: ["provisioned", "bursting"], DeletionPolicy: DELETION },
          ranges: { ProvisionedThroughput: [1, 1024] },
          patterns: { FileSystemId: pattern(/^fs-[0-9a-z]{8}$|^fs-[0-9a-z]{17}$/, "an EFS id (fs- and 8 or 17 characters)"), AccessPointId: pattern(/^fsap-[0-9a-z]{17}$/, "an EFS access point id (fsap- and 17 characters)") },
        },
        FsxLustreSettings: {
          keys: [
            "StorageCapacity", "DeploymentType", "ImportedFileChunkSize", "ExportPath", "ImportPath", "WeeklyMaintenanceStartTime",
            "AutomaticBackupRetentionDays", "CopyTagsToBackups", "DailyAutomaticBackupStartTime", "PerUnitStorageThroughput", "BackupId",
            "KmsKeyId", "FileSystemId", "AutoImportPolicy", "DriveCacheType", "DataCompressionType", "StorageType", "DeletionPolicy",
            "DataRepositoryAssociations",
          ],
          enums: {
            DeploymentType: ["SCRATCH_1", "SCRATCH_2", "PERSISTENT_1", "PERSISTENT_2"],
            AutoImportPolicy: ["NEW", "NEW_CHANGED", "NEW_CHANGED_DELETED"],
            DriveCacheType: ["READ"],
            DataCompressionType: ["LZ4"],
            StorageType: ["HDD", "SSD"],
            DeletionPolicy: DELETION,
          },
          ranges: { ImportedFileChunkSize: [1, 512000], AutomaticBackupRetentionDays: [0, 35] },
          patterns: {
            WeeklyMaintenanceStartTime: pattern(/^[1-7]:([01]\d|2[0-3]):([0-5]\d)$/, "d:HH:MM (day 1-7)"),
            DailyAutomaticBackupStartTime: pattern(/^([01]\d|2[0-3]):([0-5]\d)$/, "HH:MM"),
            BackupId: pattern(/^(backup-[0-9a-f]{8,})$/, "a backup id (backup-…)"),
            FileSystemId: pattern(/^fs-[0-9a-z]{17}$/, "an FSx id (fs- and 17 characters)"),
          },
          lists: {
            DataRepositoryAssociations: {
              keys: ["Name", "BatchImportMetaDataOnCreate", "DataRepositoryPath", "FileSystemPath", "ImportedFileChunkSize", "AutoExportPolicy", "AutoImportPolicy"],
              enums: { AutoExportPolicy: ["NEW", "CHANGED", "DELETED"], AutoImportPolicy: ["NEW", "CHANGED", "DELETED"] },
              ranges: { ImportedFileChunkSize: [1, 512000] },
            },
          },
        },
        FsxOpenZfsSettings: { keys: ["VolumeId"], patterns: { VolumeId: pattern(/^fsvol-[0-9a-f]{17}$/, "an FSx volume id (fsvol- and 17 hex digits)") } },
        FsxOntapSettings: { keys: ["VolumeId"], patterns: { VolumeId: pattern(/^fsvol-[0-9a-f]{17}$/, "an FSx volume id (fsvol- and 17 hex digits)") } },
        FileCacheSettings: { keys: ["FileCacheId"], patterns: { FileCacheId: pattern(/^(fc-[0-9a-f]{8,18})$/, "a File Cache id (fc- and 8 to 18 hex digits)") } },
      },
    },
  },
};

/**
 * The type of each leaf key, by name (ParallelCluster's schema gives every name one type, except
 * AutoImportPolicy and CustomSlurmSettings, which their own rules check; ElasticIp takes a string or a
 * boolean). Keys not listed here are sections (checked as mappings or lists) or checked by a rule.
 */
export const LEAF_TYPES: Readonly<Record<string, "string" | "integer" | "number" | "boolean" | "strings">> = {
  ...Object.fromEntries(
    [
      "AccessPointId", "AdditionalResources", "AllocationStrategy", "AllowedIps", "AwsBatchCliPackage", "BackupId", "BucketName",
      "CapacityReservationId", "CapacityReservationResourceGroupArn", "CapacityType", "ChefCookbook", "ClusterTemplate", "CustomAmi",
      "CustomS3Bucket", "CustomSlurmSettingsIncludeFile", "DailyAutomaticBackupStartTime", "DataCompressionType", "DataRepositoryPath",
      "DatabaseName", "DefaultUserHome", "DeletionPolicy", "DeploymentType", "DomainAddr", "DomainName", "DomainReadOnlyUser",
      "DriveCacheType", "ExportPath", "ExtraChefAttributes", "FileCacheId", "FileSystemId", "FileSystemPath", "Host", "HostedZoneId",
      "HttpProxyAddress", "Id", "ImdsSupport", "ImportPath", "InstanceProfile", "InstanceRole", "InstanceType", "InstanceTypesData",
      "Key", "KeyName", "KmsKeyId", "LambdaFunctionsRole", "LdapAccessFilter", "LdapTlsCaCert", "LdapTlsReqCert", "MountDir",
      "MungeKeySecretArn", "Name", "NodePackage", "Os", "Owner", "PasswordSecretArn", "PerformanceMode", "PermissionsBoundary", "Policy",
      "QueueUpdateStrategy", "Region", "ResourcePrefix", "ScalingStrategy", "Scheduler", "SharedStorageType", "SnapshotId", "StorageType",
      "SubnetId", "ThroughputMode", "Uri", "UserName", "Value", "VolumeId", "VolumeType", "WeeklyMaintenanceStartTime", "Script",
    ].map((k) => [k, "string" as const]),
  ),
  ...Object.fromEntries(
    [
      "AutomaticBackupRetentionDays", "ComputeNodeBootstrapTimeout", "Count", "DynamicNodePriority", "GracetimePeriod", "HeadNodeBootstrapTimeout",
      "ImportedFileChunkSize", "Iops", "MaxCount", "MinCount", "NumberOfVolumes", "PerUnitStorageThroughput", "Port", "ProvisionedThroughput",
      "RetentionInDays", "ScaledownIdletime", "SchedulableMemory", "Size", "StaticNodePriority", "StorageCapacity", "Throughput", "Type",
    ].map((k) => [k, "integer" as const]),
  ),
  ...Object.fromEntries(
    [
      "AssignPublicIp", "BatchImportMetaDataOnCreate", "ComputeStartupTimeMetricEnabled", "CopyTagsToBackups", "DeleteOnTermination",
      "DetailedMonitoring", "DisableManagedDns", "DisableSimultaneousMultithreading", "DisableSudoAccessForDefaultUser", "EnableMemoryBasedScheduling",
      "EnableWriteAccess", "Enabled", "Encrypted", "EncryptionInTransit", "GdrSupport", "GenerateSshKeysForUsers", "IamAuthorization",
      "IntelHpcPlatform", "JobExclusiveAllocation", "Secured", "UseEc2Hostnames",
    ].map((k) => [k, "boolean" as const]),
  ),
  SpotPrice: "number",
  ...Object.fromEntries(["AdditionalSecurityGroups", "SecurityGroups", "SubnetIds", "SecurityGroupIds", "AutoExportPolicy", "Args"].map((k) => [k, "strings" as const])),
};
