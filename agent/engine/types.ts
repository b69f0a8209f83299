import type { OsFamily } from "../facts/types.js";
import type { Logger } from "../log.js";
import type { Accounts } from "../nodefs/accounts.js";
import type { CommandRunner } from "./runner.js";
import type { Root } from "../nodefs/root.js";
import type { WriteCounters } from "../nodefs/files.js";
import type { Fetchable } from "../artifacts/fetchable.js";

/** Names of services (systemd units) to restart when a resource changes. */
type Notifies = { notifies?: string[] };

export interface FileResource extends Notifies {
  kind: "file";
  path: string;
  content: string | Uint8Array;
  mode: number;
  /** User and group names (resolved through the root's /etc/passwd and /etc/group). Unmanaged when absent. */
  owner?: string;
  group?: string;
  /** Shown as <redacted> in plans, diffs and logs. */
  secret?: boolean;
  /**
   * Directory (same filesystem) for the temporary file. For directories read through a glob
   * (plugstack.conf.d/*), a temporary file next to the target would be picked up mid-write.
   */
  tmpDir?: string;
}

export interface DirResource extends Notifies {
  kind: "dir";
  path: string;
  mode: number;
  owner?: string;
  group?: string;
}

export interface SymlinkResource extends Notifies {
  kind: "symlink";
  path: string;
  target: string;
}

/** A path that must not exist (file or symlink; never a directory tree). */
export interface AbsentResource extends Notifies {
  kind: "absent";
  path: string;
}

export interface PackageResource extends Notifies {
  kind: "package";
  name: string;
  /** Exact version (rpm VERSION-RELEASE or deb version); any version satisfies when absent. */
  version?: string;
  /**
   * A local .rpm/.deb (node path, e.g. a sha256-verified download) to install instead of asking
   * the repositories: pins versions a repository no longer carries (EPEL keeps only the latest).
   */
  source?: string;
}

export interface ServiceResource {
  kind: "service";
  /** Full unit name, e.g. "rstudio-server.service", "pwb-alb-sync.timer". */
  name: string;
  enabled: boolean;
  /** Desired run state; unmanaged when absent. Never checked under a simulated root. */
  active?: boolean;
  /** Where the unit file is; looked up in the unit directories under the root when absent. */
  unitPath?: string;
  /** The unit's [Install] WantedBy=; read from the unit file when absent. */
  wantedBy?: string[];
}

export interface DownloadResource extends Notifies {
  kind: "download";
  url: string;
  sha256: string;
  path: string;
  mode: number;
}

export interface CommandResource extends Notifies {
  kind: "command";
  /** Human name in plans and logs. */
  label: string;
  argv: string[];
  /** Skip when this path exists under the root. */
  creates?: string;
  /** Skip when this command exits 0. */
  unless?: string[];
}

/** One package of a transaction. */
export interface PackageItem {
  name: string;
  /** rpm VERSION[-RELEASE] or deb version; a version without a release matches any release. Any version when absent. */
  version?: string;
  /** Install from this verified file instead of asking the repositories (pins what a repository may drop). */
  fetch?: Fetchable;
}

/**
 * Several packages in one dnf/apt transaction, so dependencies between them resolve together and the
 * package manager starts once. Queried in one call against the root's own package database.
 */
export interface PackagesResource extends Notifies {
  kind: "packages";
  /** Identity in plans: "runtimes", "apptainer", … */
  label: string;
  items: PackageItem[];
}

/**
 * A directory holding a verified archive's contents (top directories stripped). Unpacked beside the
 * destination and renamed into place; a marker inside records the archive's sha256, so a changed
 * archive is unpacked again and a baked node needs neither the archive nor a download to plan.
 */
export interface ArchiveResource extends Notifies {
  kind: "archive";
  path: string;
  fetch: Fetchable;
  stripComponents: number;
}

export type Resource =
  | FileResource
  | DirResource
  | SymlinkResource
  | AbsentResource
  | PackageResource
  | ServiceResource
  | DownloadResource
  | CommandResource
  | PackagesResource
  | ArchiveResource;

export type ResourceKind = Resource["kind"];

/** "restart": a restart an earlier apply owes (owed.ts); shown in plans, done by apply even when nothing else changed. */
export type Action = "create" | "update" | "delete" | "install" | "run" | "enable" | "disable" | "start" | "stop" | "restart";

/** One difference between the desired and the current state of one resource. */
export interface Change {
  id: string;
  kind: ResourceKind;
  action: Action;
  /** Human lines: "mode 0644 → 0600", "enable (multi-user.target)", … */
  summary: string[];
  /** Unified diff of the content for text files; "<redacted>" for secrets. */
  diff?: string;
  /** Internal: what apply needs (never printed). */
  readonly resource: Resource;
  /** Internal: handler-specific plan state for apply. */
  readonly state?: unknown;
}

export interface EngineContext {
  root: Root;
  runner: CommandRunner;
  log: Logger;
  accounts: Accounts;
  osFamily: OsFamily | null;
  /** Compute content diffs: `plan` shows them; `apply` only logs summaries and skips the cost. */
  diffs: boolean;
  stats: ApplyStats;
}

/** What the engine knows about one kind of resource: its identity, how to diff it, how to apply it. */
export interface Handler<R extends Resource = Resource> {
  /** Stable identity; two resources with one id in a plan is a programming error. */
  id(r: R): string;
  /** Reads the current state under the root; null when nothing differs. */
  plan(r: R, ctx: EngineContext): Promise<PlannedChange | null>;
  apply(change: Change, ctx: EngineContext): Promise<void>;
  /**
   * The files a change needs fetched before it applies. apply() fetches every change's files, verified,
   * before the first change: a checksum that is missing (bad input) or wrong changes nothing at all.
   */
  fetches?(change: Change, ctx: EngineContext): Promise<FetchNeed[]>;
}

/** One verified download a change needs, with its checksum resolved. */
export interface FetchNeed {
  label: string;
  url: string;
  sha256: string;
  /** Node path. */
  path: string;
}

export type PlannedChange = Pick<Change, "action" | "summary" | "diff" | "state">;

export interface ApplyStats extends WriteCounters {
  commandsRun: number;
  /** Packages a transaction installed (or recorded, on a simulated root). Absent: none yet. */
  packagesInstalled?: number;
  /** Files fetched over the network (a cached, verified file is not one). Absent: none yet. */
  downloads?: number;
}

export interface ApplyReport {
  changes: number;
  applied: Array<{ id: string; action: Action; durationMs: number }>;
  restarted: string[];
  /** Owed restarts that were not needed, with why ("not running: nothing to restart"). */
  notRestarted: Array<{ unit: string; why: string }>;
  /** Commands that were not run because the root is simulated. */
  deferred: string[][];
  daemonReloaded: boolean;
  filesWritten: number;
  bytesWritten: number;
  commandsRun: number;
  packagesInstalled: number;
  downloads: number;
  durationMs: number;
}
