import type { Command } from "commander";
import type { Root } from "../nodefs/root.js";
import { BadInputError } from "../errors.js";
import type { Facts, Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import { DEFAULT_SITE_PATH, siteForNode } from "../site/load.js";
import type { SiteConfig } from "../site/types.js";
import { globals, loggerFor, type CliGlobals } from "./cli-support.js";
import { detectFacts, openRoot } from "./context.js";

/** What every command that works on a node starts from. */
export interface NodeCommand {
  g: CliGlobals;
  log: Logger;
  root: Root;
  facts: Facts;
  /** The site config (--site, else the default file under the root); null when there is none. */
  site: SiteConfig | null;
}

export interface OpenNodeOptions {
  /** Load the site config too. */
  site?: boolean;
  /** A logger other than the one the flags imply. */
  log?: Logger;
  /** false: never ask IMDS (commands that only need the OS and role). */
  imds?: boolean;
  /** The role to use unless --role says otherwise (bake: the image is the same for every role, and an image build has none). */
  role?: Role;
}

/** Flags, logger, root, facts and (when asked) the site: the preamble of detect, plan, apply, doctor, bake. */
export async function openNode(cmd: Command, o: OpenNodeOptions = {}): Promise<NodeCommand> {
  const g = globals(cmd);
  const log = o.log ?? loggerFor(g);
  const root = await openRoot(g.root);
  const facts = await detectFacts(root, { ...g, ...(o.imds === false ? { imds: false } : {}) }, log, o.role);
  const site = o.site ? await siteForNode(g.site, root, facts, log) : null;
  return { g, log, root, facts, site };
}

/** The site config a command cannot run without: bad input (exit 2) naming where it looked. */
export function requireSite(n: NodeCommand, command: string): SiteConfig {
  if (!n.site) throw new BadInputError(`${command} needs a site config: none at ${n.g.site ?? DEFAULT_SITE_PATH}`);
  return n.site;
}
