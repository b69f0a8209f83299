import { SINCE } from "./versions.js";

/**
 * Every key ParallelCluster's cluster schema accepts, section by section (CLI cluster_schema.py and
 * common_schema.py, read at 3.8.0, 3.9.0, 3.10.0, 3.11.0 and 3.12.0; keys added later come from the
 * configuration reference). The schema library rejects any other key ("Unknown field"), so
 * `validate` does too. `since` names a key's first release; a map or list entry names the section
 * below it, which is checked the same way. Free-form values (CustomSlurmSettings,
 * AdditionalSssdConfigs, ExtraChefAttributes) have no entry: their content is not checked.
 */
export interface Section {
  keys: readonly string[];
  since?: Readonly<Record<string, string>>;
  maps?: Readonly<Record<string, Section>>;
  lists?: Readonly<Record<string, Section>>;
}

const TAGS: Section = { keys: ["Key", "Value"] };
const IMAGE_AMI: Section = { keys: ["CustomAmi"] };
const PROXY: Section = { keys: ["HttpProxyAddress"] };
const NODE_EVENTS = ["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"];
const ACTION: Section = { keys: ["Script", "Args", "Sequence"], lists: { Sequence: { keys: ["Script", "Args"] } } };
const ACTIONS = (events: string[]): Section => ({ keys: events, maps: Object.fromEntries(events.map((e) => [e, ACTION])) });
const S3_ACCESS: Section = { keys: ["BucketName", "KeyName", "EnableWriteAccess"] };
const NODE_IAM = (withS3Access: boolean): Section => ({
  keys: ["InstanceRole", "InstanceProfile", "AdditionalIamPolicies", ...(withS3Access ? ["S3Access"] : [])],
  lists: { AdditionalIamPolicies: { keys: ["Policy"] }, ...(withS3Access ? { S3Access: S3_ACCESS } : {}) },
});
const DCV: Section = { keys: ["Enabled", "Port", "AllowedIps"] };
const ROOT_VOLUME = (headNode: boolean): Section => ({
  keys: ["Size", "Encrypted", "VolumeType", "Iops", "Throughput", ...(headNode ? ["DeleteOnTermination"] : [])],
});
const LOCAL_STORAGE = (headNode: boolean): Section => ({
  keys: ["RootVolume", "EphemeralVolume"],
  maps: { RootVolume: ROOT_VOLUME(headNode), EphemeralVolume: { keys: ["MountDir"] } },
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
    Image: { keys: ["Os", "CustomAmi"] },
    Imds: { keys: ["ImdsSupport"] },
    HeadNode: {
      keys: ["InstanceType", "DisableSimultaneousMultithreading", "Networking", "Ssh", "LocalStorage", "Dcv", "CustomActions", "Iam", "Imds", "Image", "SharedStorageType"],
      maps: {
        Networking: { keys: ["SubnetId", "ElasticIp", "SecurityGroups", "AdditionalSecurityGroups", "Proxy"], maps: { Proxy: PROXY } },
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
          maps: {
            Networking: { keys: ["SubnetIds", "SecurityGroups", "AdditionalSecurityGroups", "Proxy"], maps: { Proxy: PROXY } },
            Ssh: { keys: ["KeyName", "AllowedIps"], since: { AllowedIps: SINCE.loginPoolSshAllowedIps } },
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
      maps: {
        SlurmSettings: {
          keys: [
            "ScaledownIdletime", "Dns", "QueueUpdateStrategy", "EnableMemoryBasedScheduling", "Database", "ExternalSlurmdbd",
            "CustomSlurmSettings", "CustomSlurmSettingsIncludeFile", "MungeKeySecretArn",
          ],
          since: { ExternalSlurmdbd: SINCE.externalSlurmdbd },
          maps: {
            Database: { keys: ["Uri", "UserName", "PasswordSecretArn", "DatabaseName"] },
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
          maps: {
            ComputeSettings: { keys: ["LocalStorage"], maps: { LocalStorage: LOCAL_STORAGE(false) } },
            Networking: {
              keys: ["SubnetIds", "SecurityGroups", "AdditionalSecurityGroups", "AssignPublicIp", "PlacementGroup", "Proxy"],
              maps: { Proxy: PROXY, PlacementGroup: PLACEMENT_GROUP },
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
          maps: { CloudWatch: { keys: ["Enabled", "RetentionInDays", "DeletionPolicy"] }, Rotation: { keys: ["Enabled"] } },
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
    },
    Iam: { keys: ["Roles", "PermissionsBoundary", "ResourcePrefix"], maps: { Roles: { keys: ["LambdaFunctionsRole"] } } },
    DeploymentSettings: {
      keys: ["LambdaFunctionsVpcConfig", "DisableSudoAccessForDefaultUser", "DefaultUserHome"],
      since: { DefaultUserHome: SINCE.defaultUserHome, DisableSudoAccessForDefaultUser: SINCE.defaultUserHome },
      maps: { LambdaFunctionsVpcConfig: { keys: ["SecurityGroupIds", "SubnetIds"] } },
    },
    DevSettings: {
      keys: ["Cookbook", "NodePackage", "AwsBatchCliPackage", "ClusterTemplate", "AmiSearchFilters", "InstanceTypesData", "Timeouts", "ComputeStartupTimeMetricEnabled"],
      maps: {
        Cookbook: { keys: ["ChefCookbook", "ExtraChefAttributes"] },
        AmiSearchFilters: { keys: ["Tags", "Owner"], lists: { Tags: TAGS } },
        Timeouts: { keys: ["HeadNodeBootstrapTimeout", "ComputeNodeBootstrapTimeout"] },
      },
    },
  },
  lists: {
    Tags: TAGS,
    SharedStorage: {
      keys: ["MountDir", "Name", "StorageType", "EbsSettings", "EfsSettings", "FsxLustreSettings", "FsxOpenZfsSettings", "FsxOntapSettings", "FileCacheSettings"],
      maps: {
        EbsSettings: {
          keys: ["VolumeType", "Iops", "Size", "KmsKeyId", "Throughput", "Encrypted", "SnapshotId", "VolumeId", "Raid", "DeletionPolicy"],
          maps: { Raid: { keys: ["Type", "NumberOfVolumes"] } },
        },
        EfsSettings: {
          keys: [
            "Encrypted", "KmsKeyId", "PerformanceMode", "ThroughputMode", "ProvisionedThroughput", "FileSystemId", "DeletionPolicy",
            "EncryptionInTransit", "IamAuthorization", "AccessPointId",
          ],
          since: { AccessPointId: SINCE.efsAccessPoint },
        },
        FsxLustreSettings: {
          keys: [
            "StorageCapacity", "DeploymentType", "ImportedFileChunkSize", "ExportPath", "ImportPath", "WeeklyMaintenanceStartTime",
            "AutomaticBackupRetentionDays", "CopyTagsToBackups", "DailyAutomaticBackupStartTime", "PerUnitStorageThroughput", "BackupId",
            "KmsKeyId", "FileSystemId", "AutoImportPolicy", "DriveCacheType", "DataCompressionType", "StorageType", "DeletionPolicy",
            "DataRepositoryAssociations",
          ],
          lists: {
            DataRepositoryAssociations: {
              keys: ["Name", "BatchImportMetaDataOnCreate", "DataRepositoryPath", "FileSystemPath", "ImportedFileChunkSize", "AutoExportPolicy", "AutoImportPolicy"],
            },
          },
        },
        FsxOpenZfsSettings: { keys: ["VolumeId"] },
        FsxOntapSettings: { keys: ["VolumeId"] },
        FileCacheSettings: { keys: ["FileCacheId"] },
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
