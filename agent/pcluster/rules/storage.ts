import { bool, check, intIn, mapItems, matches, need, str, type RuleContext } from "../context.js";
import { DEFAULT_STORAGE } from "../../site/sections/storage.js";
import type { YView } from "../yaml-view.js";
import { checkUnique } from "./names.js";

/** CLI cluster_schema.py `file_path` and SharedStorageMountDirValidator's reserved directories. */
const MOUNT_DIR = /^\/?[^/.\\][^/\\]*(\/[^/.\\][^/]*)*$/;
const RESERVED_DIRS = new Set([
  "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/media", "/mnt", "/opt", "/opt/parallelcluster", "/opt/parallelcluster/shared",
  "/opt/parallelcluster/shared_login_nodes", "/opt/slurm", "/opt/intel", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
]);
/** Shared storage names become tags (CLI SharedStorageNameValidator). */
const STORAGE_NAME = /^[\w+\-=._:@/]{0,256}$/;
const STORAGE_NAME_MAX = 30;

const SETTINGS: Record<string, string> = {
  Ebs: "EbsSettings",
  Efs: "EfsSettings",
  FsxLustre: "FsxLustreSettings",
  FsxOpenZfs: "FsxOpenZfsSettings",
  FsxOntap: "FsxOntapSettings",
  FileCache: "FileCacheSettings",
};
/** Keys allowed next to an existing EFS FileSystemId (the rest would be ignored: pcluster rejects them). */
const EFS_WITH_ID = new Set(["FileSystemId", "EncryptionInTransit", "IamAuthorization", "AccessPointId"]);
/** constants.py MAX_EBS_COUNT, MAX_NEW_STORAGE_COUNT, MAX_EXISTING_STORAGE_COUNT. */
const LIMITS = { ebs: 5, raid: 1, newEfs: 1, newFsx: 1, existingEfs: 20, existingFsx: 20 };

export const HOME_DIR = DEFAULT_STORAGE.home;
export const WORKBENCH_DIR = DEFAULT_STORAGE.workbench;

export interface StorageItem {
  item: YView;
  mountDir: string;
  mountDirView: YView;
  type: string | undefined;
  typeView: YView;
}

const normalize = (dir: string) => (dir.startsWith("/") ? dir : `/${dir}`).replace(/\/+$/, "") || "/";

function settingsOf(ctx: RuleContext, item: YView, type: string): void {
  const expected = SETTINGS[type]!;
  for (const key of Object.values(SETTINGS)) {
    const s = item.get(key);
    if (s.exists && key !== expected) {
      ctx.issues.error("storage-settings", s, `${item.where}: ${key} does not go with StorageType ${type} (use ${expected})`, "key");
      return;
    }
  }
  const settings = item.get(expected);
  if (!check(ctx, settings, "map")) return;
  const id = settings.get("FileSystemId");
  if (type === "Efs") {
    if (id.exists && matches(ctx, id, /^fs-[0-9a-z]{8}$|^fs-[0-9a-z]{17}$/, "an EFS id (fs- and 8 or 17 characters)")) {
      const extra = settings.entries().find((e) => !EFS_WITH_ID.has(String(e.name)));
      if (extra) ctx.issues.error("storage-settings", extra, `${extra.where}: ignored with an existing FileSystemId (only EncryptionInTransit, IamAuthorization, AccessPointId apply)`, "key");
    }
    // EfsMountOptionsValidator, EfsAccessPointOptionsValidator: both ride on TLS to the file system.
    const tls = bool(settings.get("EncryptionInTransit")) === true;
    const iamAuth = settings.get("IamAuthorization");
    if (bool(iamAuth) === true && !tls) {
      ctx.issues.error("efs-mount-options", iamAuth, `${settings.where}: IamAuthorization needs EncryptionInTransit: true`, "key");
    }
    const accessPoint = settings.get("AccessPointId");
    if (accessPoint.exists) {
      matches(ctx, accessPoint, /^fsap-[0-9a-z]{17}$/, "an EFS access point id (fsap- and 17 characters)");
      if (!id.exists) ctx.issues.error("efs-access-point", accessPoint, `${settings.where}: an AccessPointId needs the FileSystemId of the existing EFS it belongs to`, "key");
      else if (!tls) ctx.issues.error("efs-access-point", accessPoint, `${settings.where}: an AccessPointId needs EncryptionInTransit: true`, "key");
    }
    const mode = settings.get("ThroughputMode");
    const provisioned = settings.get("ProvisionedThroughput");
    if (provisioned.exists) intIn(ctx, provisioned, 1, 1024, "ProvisionedThroughput (MiB/s)");
    if (str(mode) === "provisioned" && !provisioned.exists) {
      ctx.issues.error("storage-settings", mode, `${settings.where}: ThroughputMode provisioned needs ProvisionedThroughput`);
    } else if (provisioned.exists && str(mode) !== "provisioned") {
      ctx.issues.error("storage-settings", provisioned, `${settings.where}: ProvisionedThroughput needs ThroughputMode: provisioned`, "key");
    }
  }
  if (type === "FsxLustre" && id.exists && matches(ctx, id, /^fs-[0-9a-z]{17}$/, "an FSx id (fs- and 17 characters)")) {
    const extra = settings.entries().find((e) => e.name !== "FileSystemId");
    if (extra) ctx.issues.error("storage-settings", extra, `${extra.where}: no other FsxLustreSettings key applies to an existing FileSystemId`, "key");
  }
}

// size: one pass over the SharedStorage list, one branch per storage type as ParallelCluster's schema
// has them; the counts and mount-dir checks across types need that single pass.
/** ParallelCluster's rules for SharedStorage; returns the items it could read, for the Workbench rules. */
export function checkSharedStorage(ctx: RuleContext): StorageItem[] {
  const list = ctx.root.get("SharedStorage");
  const out: StorageItem[] = [];
  const names: Array<{ name: string; at: YView }> = [];
  const counts = { ebs: [] as YView[], raid: [] as YView[], newEfs: [] as YView[], newFsx: [] as YView[], existingEfs: [] as YView[], existingFsx: [] as YView[] };

  for (const item of mapItems(ctx, list)) {
    const nameView = item.get("Name");
    if (need(ctx, nameView, "string")) {
      const name = str(nameView)!;
      if (!STORAGE_NAME.test(name) || name.length > STORAGE_NAME_MAX || name === "default") {
        ctx.issues.error("name", nameView, `${nameView.where}: "${name}" is not a valid storage name: expected at most ${STORAGE_NAME_MAX} letters, digits or + - = . _ : @ /, not "default"`);
      } else {
        names.push({ name, at: nameView });
      }
    }

    const typeView = item.get("StorageType");
    let type: string | undefined;
    if (need(ctx, typeView, "string")) {
      if (str(typeView)! in SETTINGS) type = str(typeView);
      else ctx.issues.error("format", typeView, `${typeView.where}: expected one of ${Object.keys(SETTINGS).join(", ")}; got "${str(typeView)}"`);
    }
    if (type) {
      settingsOf(ctx, item, type);
      const hasId = item.dig(SETTINGS[type]!, "FileSystemId").exists;
      // A RAID is counted apart from single volumes; File Cache, OpenZFS and ONTAP count as existing FSx.
      if (type === "Ebs") (item.dig("EbsSettings", "Raid").exists ? counts.raid : counts.ebs).push(item);
      if (type === "Efs") (hasId ? counts.existingEfs : counts.newEfs).push(item);
      if (type === "FsxLustre") (hasId ? counts.existingFsx : counts.newFsx).push(item);
      if (type === "FsxOpenZfs" || type === "FsxOntap" || type === "FileCache") counts.existingFsx.push(item);
    }

    const dirView = item.get("MountDir");
    if (!need(ctx, dirView, "string")) continue;
    const raw = str(dirView)!;
    if (/^\/?NONE$/.test(raw)) {
      // SharedStorageSchema shared_dir_validator: NONE is how ParallelCluster's cookbook spells "no directory".
      ctx.issues.error("mount-dir", dirView, `${dirView.where}: "${raw}" cannot be a mount directory: ParallelCluster reserves NONE to mean "no shared directory"`);
      continue;
    }
    if (!MOUNT_DIR.test(raw)) {
      ctx.issues.error("mount-dir", dirView, `${dirView.where}: "${raw}" is not a valid mount directory (an absolute path without '.'-leading or empty parts)`);
      continue;
    }
    const dir = normalize(raw);
    if (RESERVED_DIRS.has(dir)) {
      ctx.issues.error("mount-dir-reserved", dirView, `${dirView.where}: ${dir} is reserved by the OS or ParallelCluster`);
      continue;
    }
    // EBS at /home passes ParallelCluster; the Workbench rule (pwb-home-fsx) reports it.
    if (dir === HOME_DIR && type === "FileCache") {
      ctx.issues.error("file-cache-not-home", dirView, `${dirView.where}: a File Cache cannot be mounted at /home`);
      continue;
    }
    out.push({ item, mountDir: dir, mountDirView: dirView, type, typeView });
  }

  checkUnique(ctx, names, "shared storage");
  // One mount per directory (DuplicateMountDirValidator), and none inside another: ParallelCluster's
  // OverlappingMountDirValidator is given the storage names instead of the directories, so only we catch it.
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [out[j]!, out[i]!];
      if (a.mountDir === b.mountDir) {
        ctx.issues.error("mount-dir-duplicate", b.mountDirView, `${b.mountDirView.where}: ${b.mountDir} is already mounted by ${a.item.where}`);
      } else if (b.mountDir.startsWith(`${a.mountDir}/`) || a.mountDir.startsWith(`${b.mountDir}/`)) {
        ctx.issues.error(
          "pwb-mount-dir-overlap",
          b.mountDirView,
          `${b.mountDirView.where}: ${b.mountDir} overlaps ${a.mountDir} (${a.item.where}): one mount would hide the other or depend on its order; ParallelCluster does not check this (its overlap check compares storage names, not directories)`,
        );
      }
    }
  }
  const limit = (views: YView[], max: number, what: string) => {
    if (views.length > max) ctx.issues.error("storage-count", views[max]!, `${views[max]!.where}: at most ${max} ${what}`);
  };
  limit(counts.ebs, LIMITS.ebs, "EBS volumes");
  limit(counts.raid, LIMITS.raid, "EBS RAID array");
  limit(counts.newEfs, LIMITS.newEfs, "new EFS file system (give FileSystemId to use existing ones)");
  limit(counts.newFsx, LIMITS.newFsx, "new FSx file system (give FileSystemId to use existing ones)");
  limit(counts.existingEfs, LIMITS.existingEfs, "existing EFS file systems");
  limit(counts.existingFsx, LIMITS.existingFsx, "existing FSx file systems");
  return out;
}

/** The architecture: home directories on FSx for Lustre, Workbench's shared directory on EFS. */
export function checkWorkbenchStorage(ctx: RuleContext, items: StorageItem[]): void {
  const list = ctx.root.get("SharedStorage");
  const at = list.exists ? list : ctx.root;
  const home = items.find((s) => s.mountDir === HOME_DIR);
  if (!home) {
    ctx.issues.error("pwb-home-fsx", at, `SharedStorage: mount FSx for Lustre at ${HOME_DIR}: Workbench keeps user state and project sharing (POSIX ACLs) there, shared by every node`, "key");
  } else if (home.type !== undefined && home.type !== "FsxLustre") {
    ctx.issues.error("pwb-home-fsx", home.typeView, `${home.typeView.where}: ${HOME_DIR} must be FSx for Lustre (StorageType: FsxLustre) for Workbench; got ${home.type}`);
  }
  const shared = items.find((s) => s.mountDir === WORKBENCH_DIR);
  if (!shared) {
    ctx.issues.error("pwb-workbench-shared", at, `SharedStorage: mount a shared file system (EFS) at ${WORKBENCH_DIR}: the head node writes Workbench's configuration there for every login node`, "key");
  } else if (shared.type !== undefined && shared.type !== "Efs") {
    ctx.issues.warn("pwb-workbench-shared", shared.typeView, `${shared.typeView.where}: ${WORKBENCH_DIR} is expected on EFS (StorageType: Efs); ${shared.type} works if every node mounts it`);
  }
}
