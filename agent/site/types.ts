import type { ApptainerSite } from "./sections/apptainer.js";
import type { CudaSite } from "./sections/cuda.js";
import type { SessionImage } from "./sections/images.js";
import type { SpankSite } from "./sections/spank.js";
import type { TelemetrySite } from "./sections/telemetry.js";

/**
 * The site configuration (site.yaml) after validation, defaults and derivation: read-only, complete.
 * `null` where a command runs without one (no --site and no /etc/pwb-agent/site.yaml): components
 * that need a site are then skipped.
 */
export type SecretRef = { ssm: string } | { file: string };

export type LauncherUse = "sessions" | "jobs" | "both";

export interface Partition {
  name: string;
  instanceType: string | null;
  cpus: number;
  memoryMiB: number;
  gpus: { count: number; type: string | null } | null;
  sessions: boolean;
  jobs: boolean;
}

export interface LauncherCluster {
  name: string;
  use: LauncherUse;
  partitions: string[];
  defaultPartition: string;
}

export interface ResourceProfile {
  id: string;
  label: string;
  cpus: number;
  memoryMiB: number;
}

export interface RuntimeVersions {
  versions: string[];
  default: string | null;
}

export interface SiteConfig {
  /** Where it was loaded from (a path or s3:// URL), for messages. */
  source: string;
  /** The file as read: kept on the node so later boots (pwb-agent.service, no --site) use the same. */
  text: string;
  workbench: {
    version: string;
    url: string;
    port: number;
    launcherPort: number;
    adminGroup: string | null;
    superuserGroup: string | null;
    debugLogging: boolean;
    sharedConfigWaitSeconds: number;
    ides: {
      jupyter: { enabled: boolean; labs: boolean; notebooks: boolean };
      vscode: { enabled: boolean };
      positron: { enabled: boolean };
    };
    audit: { rSessions: boolean; rConsole: "none" | "input" | "all" };
    crashHandling: boolean;
    /** Extra rserver.conf keys, already stringified. */
    rserver: Record<string, string>;
    launcherEnv: Record<string, string>;
  };
  storage: {
    /** EFS: Workbench's shared configuration and data. */
    workbench: string;
    /** FSx: user home directories. */
    home: string;
    sharedStoragePath: string;
    /** `<workbench>/etc/rstudio`: the RSTUDIO_CONFIG_DIR of every login node. */
    configDir: string;
    /** `<workbench>/shared-data`: audit, monitor, r-versions, crash dumps. */
    dataDir: string;
  };
  database: {
    host: string;
    port: number;
    name: string;
    user: string;
    password: SecretRef;
    sslMode: "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";
  };
  /** The Workbench ALB; null: the site does not use one (the head node runs no ALB sync). */
  alb: AlbSite | null;
  slurm: {
    binPath: string;
    conf: string;
    serviceUser: string;
    partitions: Partition[];
    clusters: LauncherCluster[];
  };
  /** Explicit resource profiles; null = derived from each cluster's partitions. */
  profiles: ResourceProfile[] | null;
  containers: { enabled: boolean; imageDirectory: string; bind: string[] };
  runtimes: { r: RuntimeVersions; python: RuntimeVersions; quarto: RuntimeVersions };
  mirror: { url: string } | null;
  apptainer: ApptainerSite | null;
  spank: SpankSite | null;
  cuda: CudaSite | null;
  images: SessionImage[];
  /** sha256 pins for bake's artifacts, by mirror path (agent/site/sections/checksums.ts). */
  checksums: Record<string, string>;
  /** Metrics, logs, audit and job records (agent/site/sections/telemetry.ts): always complete, from defaults. */
  telemetry: TelemetrySite;
}

/** The site's `alb:` section: fields left out default from the cluster name (agent/alb/settings.ts). */
export interface AlbSite {
  name?: string;
  targetGroupName?: string;
  vpcId?: string;
  subnets?: string[];
  certificateArn?: string;
  scheme?: "internal" | "internet-facing";
  ingressCidrs?: string[];
  targetSecurityGroupIds?: string[];
  /** Route 53 zone and name of an A alias to the ALB (both or neither). */
  hostedZoneId?: string;
  recordName?: string;
}
