import type { Resource } from "../engine/types.js";
import type { Facts, Role } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";

/**
 * One concern of a node's desired state. `wants` is pure: it never reads the disk or runs a
 * command; the engine does that for the resources it returns.
 */
export interface Component {
  name: string;
  /** Roles this component declares resources for; other roles skip it entirely. */
  roles: readonly Role[];
  wants(facts: Facts, site: SiteConfig): Resource[];
}
