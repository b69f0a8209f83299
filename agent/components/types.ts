import type { CheckContext, SectionedChecks } from "../doctor/checks.js";
import type { Resource } from "../engine/types.js";
import type { Root } from "../nodefs/root.js";
import type { Facts, Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import type { SiteConfig } from "../site/types.js";

/** What a component's `gather` step may use: the node's root, a logger, and whether this is plan or apply. */
export interface GatherContext {
  root: Root;
  log: Logger;
  /** `plan` never waits and never changes anything; `apply` may wait (bounded) for shared state. */
  mode: "plan" | "apply";
}

/** What a component's node phase needs the image to hold (components/image-needs.ts checks it). */
export interface ImageNeed {
  kind: "unit" | "user" | "group";
  name: string;
  /** The package that provides it. */
  package: string;
}

/**
 * One concern of a node's desired state. `wants` is pure: it never reads the disk or runs a
 * command; the engine does that for the resources it returns.
 *
 * A component whose desired state depends on more than facts and site (a key that exists or must be
 * generated, a secret, what another node wrote on shared storage) reads it in `gather`, which the
 * command layer runs before `wants`, like fact gathering. `wants` stays a pure function of
 * (facts, site, inputs), so plans stay exact and tests feed it fixed inputs.
 */
export interface Component<I = undefined, B = undefined> {
  name: string;
  /** Roles this component declares resources for; other roles skip it entirely. */
  roles: readonly Role[];
  /** Skipped, with a log line, when the command runs without a site config. */
  needsSite?: boolean;
  gather?(facts: Facts, site: SiteConfig, ctx: GatherContext): Promise<I>;
  wants(facts: Facts, site: SiteConfig | null, inputs: I): Resource[];
  /**
   * The image phase: what a node built from the AMI needs to take any role (packages, artifacts,
   * builds), converged by `bake` for every role at once and by `apply` only as a repair. `wants` above
   * is the node phase (configuration, keys, drop-ins, services, registrations).
   */
  image?: ImagePhase<B>;
  /**
   * `pwb-agent doctor`'s checks of this component on this node, by report section (only with a site).
   * Declaring them runs nothing: each check's `run` reads the node through `ctx` when doctor runs it.
   */
  checks?(facts: Facts, site: SiteConfig, ctx: CheckContext): SectionedChecks;
  /**
   * What the node phase needs the image to hold on this role (unit files, accounts a package makes).
   * When one is missing the component is skipped, the others converge, and apply exits 1 naming it.
   */
  imageNeeds?(facts: Facts, site: SiteConfig): ImageNeed[];
}

export interface ImagePhase<B = undefined> {
  gather?(facts: Facts, site: SiteConfig, ctx: GatherContext): Promise<B>;
  /** Pure, and the same for every role: one AMI serves head, login, CPU and GPU compute nodes. */
  wants(facts: Facts, site: SiteConfig, inputs: B): Resource[];
}
