import path from "node:path";
import { strictObject } from "zod";
import { ownDirectory } from "../fields.js";

/*
 * storage: — the shared file systems every node mounts. The section may be left out.
 *
 *   storage:
 *     workbench: /opt/rstudio          # EFS: Workbench's configuration (<workbench>/etc/rstudio) and data (<workbench>/shared-data)
 *     home: /home                      # FSx: the users' home directories
 *     sharedStoragePath: /home/rstudio-shared-storage   # default <home>/rstudio-shared-storage
 */
/** Where ParallelCluster mounts them unless the site says otherwise (the cluster-config templates agree). */
export const DEFAULT_STORAGE = { workbench: "/opt/rstudio", home: "/home" } as const;

export const storageSection = strictObject({
    workbench: ownDirectory.default(DEFAULT_STORAGE.workbench),
    home: ownDirectory.default(DEFAULT_STORAGE.home),
    sharedStoragePath: ownDirectory.optional(),
  })
  .prefault({})
  .transform((s) => ({
    workbench: s.workbench,
    home: s.home,
    // On the home file system (FSx): project sharing needs POSIX ACLs, which EFS does not offer.
    sharedStoragePath: s.sharedStoragePath ?? path.posix.join(s.home, "rstudio-shared-storage"),
    /** `<workbench>/etc/rstudio`: the RSTUDIO_CONFIG_DIR of every login node. */
    configDir: path.posix.join(s.workbench, "etc/rstudio"),
    /** `<workbench>/shared-data`: audit, monitor, r-versions, crash dumps. */
    dataDir: path.posix.join(s.workbench, "shared-data"),
  }));
