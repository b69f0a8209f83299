import { str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/**
 * A new FSx for Lustre file system, as ParallelCluster checks it offline (fsx_validators.py:
 * FsxStorageCapacityValidator, FsxPersistentOptionsValidator, FsxStorageTypeOptionsValidator,
 * FsxBackupOptionsValidator). An existing file system (FileSystemId) or one restored from a backup
 * (BackupId) takes its size from AWS, so capacity is not checked then.
 */
const PERSISTENT = ["PERSISTENT_1", "PERSISTENT_2"];
/** ParallelCluster's default DeploymentType for a new file system. */
const DEFAULT_DEPLOYMENT = "SCRATCH_2";
/** constants.py FSX_SSD_THROUGHPUT and FSX_HDD_THROUGHPUT (MB/s per TiB). */
const SSD_THROUGHPUT: Record<string, readonly number[]> = { PERSISTENT_1: [50, 100, 200], PERSISTENT_2: [125, 250, 500, 1000] };
const HDD_THROUGHPUT = [12, 40];

const int = (v: YView) => (v.exists ? v.integer() : undefined);

/** The sizes a deployment type allows, as a sentence; undefined when `gib` is one of them. */
function capacityProblem(gib: number, deployment: string, storageType: string | undefined, throughput: number | undefined): string | undefined {
  if (deployment === "SCRATCH_1") {
    return gib === 1200 || gib === 2400 || gib % 3600 === 0 ? undefined : "SCRATCH_1 takes 1200 GiB, 2400 GiB or a multiple of 3600 GiB";
  }
  if (deployment === "PERSISTENT_1" && storageType === "HDD") {
    if (throughput === 12) return gib % 6000 === 0 ? undefined : "PERSISTENT_1 on HDD at 12 MB/s/TiB takes a multiple of 6000 GiB";
    if (throughput === 40) return gib % 1800 === 0 ? undefined : "PERSISTENT_1 on HDD at 40 MB/s/TiB takes a multiple of 1800 GiB";
    return undefined;
  }
  if (["SCRATCH_2", ...PERSISTENT].includes(deployment)) {
    return gib === 1200 || gib % 2400 === 0 ? undefined : `${deployment} takes 1200 GiB or a multiple of 2400 GiB`;
  }
  return undefined;
}

function fileSystem(ctx: RuleContext, settings: YView): void {
  if (!settings.isMap || settings.get("FileSystemId").exists) return;
  const deploymentView = settings.get("DeploymentType");
  const deployment = deploymentView.exists ? str(deploymentView) : DEFAULT_DEPLOYMENT;
  if (deployment === undefined) return;
  const storageType = str(settings.get("StorageType"));
  const throughputView = settings.get("PerUnitStorageThroughput");
  const throughput = int(throughputView);
  const persistent = PERSISTENT.includes(deployment);

  if (!settings.get("BackupId").exists) {
    const capView = settings.get("StorageCapacity");
    const cap = int(capView);
    if (!capView.exists || cap === 0) {
      ctx.issues.error("fsx-storage-capacity", capView.exists ? capView : settings, `${settings.where}: a new FSx for Lustre file system needs StorageCapacity (GiB)`, "key");
    } else if (cap !== undefined) {
      const problem = capacityProblem(cap, deployment, storageType, throughput);
      if (problem) ctx.issues.error("fsx-storage-capacity", capView, `${capView.where}: ${problem}; got ${cap}`);
    }
  }

  if (persistent && !throughput) {
    ctx.issues.error("fsx-deployment-options", deploymentView.exists ? deploymentView : settings, `${settings.where}: ${deployment} needs PerUnitStorageThroughput`, "key");
  }
  if (!persistent) {
    for (const key of ["KmsKeyId", "PerUnitStorageThroughput"]) {
      const v = settings.get(key);
      if (v.exists) ctx.issues.error("fsx-deployment-options", v, `${v.where}: only for PERSISTENT_1 or PERSISTENT_2 file systems (DeploymentType is ${deployment})`, "key");
    }
  }
  if (storageType === "HDD") {
    if (deployment !== "PERSISTENT_1") ctx.issues.error("fsx-deployment-options", settings.get("StorageType"), `${settings.where}: an HDD file system needs DeploymentType PERSISTENT_1; got ${deployment}`);
    if (throughput !== undefined && !HDD_THROUGHPUT.includes(throughput)) {
      ctx.issues.error("fsx-deployment-options", throughputView, `${throughputView.where}: on HDD, one of ${HDD_THROUGHPUT.join(", ")}; got ${throughput}`);
    }
  } else {
    const cache = settings.get("DriveCacheType");
    if (cache.exists) ctx.issues.error("fsx-deployment-options", cache, `${cache.where}: only for HDD file systems (StorageType: HDD)`, "key");
    const allowed = SSD_THROUGHPUT[deployment];
    if (throughput && allowed && !allowed.includes(throughput)) {
      ctx.issues.error("fsx-deployment-options", throughputView, `${throughputView.where}: for ${deployment} on SSD, one of ${allowed.join(", ")}; got ${throughput}`);
    }
  }

  const retention = settings.get("AutomaticBackupRetentionDays");
  const days = int(retention);
  for (const key of ["DailyAutomaticBackupStartTime", "CopyTagsToBackups"]) {
    const v = settings.get(key);
    if (v.exists && !days) ctx.issues.error("fsx-backup-options", v, `${v.where}: needs AutomaticBackupRetentionDays (1 or more)`, "key");
  }
  if (days) {
    if (!persistent) ctx.issues.error("fsx-backup-options", retention, `${retention.where}: automatic backups need a PERSISTENT_1 or PERSISTENT_2 file system (DeploymentType is ${deployment})`, "key");
    const s3Linked = ["ImportedFileChunkSize", "ImportPath", "ExportPath", "AutoImportPolicy"].find((k) => settings.get(k).exists);
    if (s3Linked) ctx.issues.error("fsx-backup-options", retention, `${retention.where}: a file system linked to S3 (${s3Linked}) cannot have automatic backups`, "key");
  }
}

export function checkFsxLustre(ctx: RuleContext): void {
  for (const item of ctx.root.get("SharedStorage").items()) {
    if (str(item.get("StorageType")) === "FsxLustre") fileSystem(ctx, item.get("FsxLustreSettings"));
  }
}
