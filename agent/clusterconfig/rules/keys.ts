import { SINCE, formatVersion } from "../versions.js";
import { since, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";
import { closest } from "../../did-you-mean.js";

/**
 * The keys ParallelCluster's schema accepts in the sections these checks model (CLI
 * cluster_schema.py; version-gated keys name their first release). An unknown key is a warning, not
 * an error: pcluster rejects it, but a newer release may have added it; the message suggests the
 * key meant. A key used before its release is an error.
 */
interface Section {
  keys: string[];
  since?: Record<string, string>;
  maps?: Record<string, Section>;
  lists?: Record<string, Section>;
}

const TAGS: Section = { keys: ["Key", "Value"] };
const IMAGE_AMI: Section = { keys: ["CustomAmi"] };
const PROXY = { keys: ["HttpProxyAddress"] };
const ACTIONS = (events: string[], gated: Record<string, string> = {}): Section => ({ keys: events, since: gated });
const POLICIES: Section = { keys: ["Policy"] };

const NODE_IAM = (extra: string[]): Section => ({
  keys: ["InstanceRole", "InstanceProfile", "AdditionalIamPolicies", ...extra],
  lists: { AdditionalIamPolicies: POLICIES },
});

const SECTIONS: Section = {
  keys: [
    "Region", "Image", "HeadNode", "Scheduling", "LoginNodes", "SharedStorage", "Monitoring", "AdditionalPackages", "Tags",
    "Iam", "DirectoryService", "Imds", "CustomS3Bucket", "AdditionalResources", "DevSettings", "DeploymentSettings",
  ],
  maps: {
    Image: { keys: ["Os", "CustomAmi"] },
    HeadNode: {
      keys: ["InstanceType", "DisableSimultaneousMultithreading", "Networking", "Ssh", "LocalStorage", "Dcv", "CustomActions", "Iam", "Imds", "Image", "SharedStorageType"],
      maps: {
        Networking: { keys: ["SubnetId", "ElasticIp", "SecurityGroups", "AdditionalSecurityGroups", "Proxy"], maps: { Proxy: PROXY } },
        Ssh: { keys: ["KeyName", "AllowedIps"] },
        Iam: NODE_IAM(["S3Access"]),
        CustomActions: ACTIONS(["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"]),
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
            Iam: NODE_IAM([]),
            CustomActions: ACTIONS(["OnNodeStart", "OnNodeConfigured", "OnNodeUpdated"]),
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
            Networking: { keys: ["SubnetIds", "SecurityGroups", "AdditionalSecurityGroups", "AssignPublicIp", "PlacementGroup", "Proxy"], maps: { Proxy: PROXY } },
            Iam: NODE_IAM(["S3Access"]),
            // Compute nodes have no OnNodeUpdated (schema QueueCustomActionsSchema).
            CustomActions: ACTIONS(["OnNodeStart", "OnNodeConfigured"]),
            Image: IMAGE_AMI,
          },
          lists: {
            Tags: TAGS,
            ComputeResources: {
              keys: [
                "Name", "InstanceType", "Instances", "MaxCount", "MinCount", "SpotPrice", "Efa", "DisableSimultaneousMultithreading",
                "SchedulableMemory", "CapacityReservationTarget", "Networking", "HealthChecks", "CustomSlurmSettings", "Tags",
                "StaticNodePriority", "DynamicNodePriority", "LaunchTemplateOverrides",
              ],
              lists: { Tags: TAGS, Instances: { keys: ["InstanceType"] } },
            },
          },
        },
      },
    },
    DirectoryService: {
      keys: [
        "DomainName", "DomainAddr", "PasswordSecretArn", "DomainReadOnlyUser", "LdapTlsCaCert", "LdapTlsReqCert", "LdapAccessFilter",
        "GenerateSshKeysForUsers", "AdditionalSssdConfigs",
      ],
    },
    Iam: { keys: ["Roles", "PermissionsBoundary", "ResourcePrefix"] },
    DeploymentSettings: {
      keys: ["LambdaFunctionsVpcConfig", "DisableSudoAccessForDefaultUser", "DefaultUserHome"],
      since: { DefaultUserHome: SINCE.defaultUserHome, DisableSudoAccessForDefaultUser: SINCE.defaultUserHome },
    },
  },
  lists: {
    Tags: TAGS,
    SharedStorage: {
      keys: ["MountDir", "Name", "StorageType", "EbsSettings", "EfsSettings", "FsxLustreSettings", "FsxOpenZfsSettings", "FsxOntapSettings", "FsxFileCacheSettings"],
      maps: {
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
          ],
        },
      },
    },
  },
};

/** Why a gated key matters here, beyond "pcluster rejects it". */
const GATE_HINTS: Record<string, string> = {
  CustomActions: "before 3.11 login nodes cannot run the agent hook; bake the AMI with pwb-agent.service enabled instead",
};

function suggest(key: string, known: string[]): string {
  const best = closest(key, known, Math.max(2, Math.floor(key.length / 4)));
  return best ? ` (did you mean ${best}?)` : "";
}

function visit(ctx: RuleContext, map: YView, section: Section, inLoginPool: boolean): void {
  if (!map.isMap) return;
  for (const entry of map.entries()) {
    const key = String(entry.name);
    if (!section.keys.includes(key)) {
      ctx.issues.warn("unknown-key", entry, `${entry.where}: not a key ParallelCluster accepts here${suggest(key, section.keys)}`, "key");
      continue;
    }
    const gate = section.since?.[key];
    if (gate && !since(ctx, gate)) {
      const hint = inLoginPool && GATE_HINTS[key] ? `: ${GATE_HINTS[key]}` : "";
      ctx.issues.error("version", entry, `${entry.where} needs ParallelCluster ${gate} or newer (validating for ${formatVersion(ctx.version)})${hint}`, "key");
      continue;
    }
    const child = section.maps?.[key];
    if (child) visit(ctx, entry, child, inLoginPool);
    const items = section.lists?.[key];
    if (items) for (const item of entry.items()) visit(ctx, item, items, inLoginPool || key === "Pools");
  }
}

export function checkKeys(ctx: RuleContext): void {
  visit(ctx, ctx.root, SECTIONS, false);
}
