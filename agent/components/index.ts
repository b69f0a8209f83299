import type { Resource } from "../engine/types.js";
import type { Facts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import type { Component } from "./types.js";
import { unitsComponent } from "./units/index.js";

/** Every component, in the order their resources are applied. */
export const COMPONENTS: readonly Component[] = [unitsComponent];

/** The desired state of this node: a pure function of (facts, site). */
export function desiredState(facts: Facts, site: SiteConfig, only?: readonly string[]): Resource[] {
  return COMPONENTS.filter((c) => c.roles.includes(facts.role) && (!only || only.includes(c.name))).flatMap((c) =>
    c.wants(facts, site),
  );
}
