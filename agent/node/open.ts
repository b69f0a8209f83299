import { promises as fs } from "node:fs";
import { Accounts } from "../nodefs/accounts.js";
import { Root } from "../nodefs/root.js";
import { SpawnRunner } from "../engine/runner.js";
import type { EngineContext } from "../engine/types.js";
import { BadInputError } from "../errors.js";
import { gatherFacts } from "../facts/index.js";
import type { Facts, Role } from "../facts/types.js";
import type { Logger } from "../log.js";
import { DEFAULT_SITE_PATH, siteForNode } from "../site/load.js";
import type { SiteConfig } from "../site/types.js";

/** Which node to work on and how to learn about it: the CLI's global flags, as plain data. */
export interface NodeSelection {
  root: string;
  role?: Role;
  imds: boolean;
  imdsEndpoint?: string;
  /** A site config file or s3:// URL (default /etc/pwb-agent/site.yaml under the root). */
  site?: string;
}

/** What every use case that works on a node starts from. */
export interface OpenedNode {
  log: Logger;
  root: Root;
  facts: Facts;
  /** The site config (the selection's, else the default file under the root); null when there is none. */
  site: SiteConfig | null;
  /** Where the site config was looked for, for messages. */
  siteSource: string;
}

export interface OpenNodeOptions {
  /** Load the site config too. */
  site?: boolean;
  /** false: never ask IMDS (commands that only need the OS and role). */
  imds?: boolean;
  /** The role to use unless the selection names one (bake: the image is the same for every role, and an image build has none). */
  role?: Role;
}

export async function openRoot(dir: string): Promise<Root> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new BadInputError(`--root ${dir}: not a directory`);
  return new Root(dir);
}

/** `defaultRole`: the role a command uses when the selection names none (bake), never logged as an override. */
export function detectFacts(root: Root, g: NodeSelection, log: Logger, defaultRole?: Role): Promise<Facts> {
  return gatherFacts({
    root,
    ...(g.role ? { roleOverride: g.role } : defaultRole ? { roleOverride: defaultRole, roleOverrideIsDefault: true } : {}),
    imds: { enabled: g.imds, ...(g.imdsEndpoint ? { endpoint: g.imdsEndpoint } : {}) },
    log,
  });
}

/** Root, facts and (when asked) the site: the preamble of detect, plan, apply, doctor, bake. */
export async function openNode(sel: NodeSelection, log: Logger, o: OpenNodeOptions = {}): Promise<OpenedNode> {
  const root = await openRoot(sel.root);
  const facts = await detectFacts(root, { ...sel, ...(o.imds === false ? { imds: false } : {}) }, log, o.role);
  const site = o.site ? await siteForNode(sel.site, root, facts, log) : null;
  return { log, root, facts, site, siteSource: sel.site ?? DEFAULT_SITE_PATH };
}

/** The site config a command cannot run without: bad input (exit 2) naming where it looked. */
export function requireSite(n: Pick<OpenedNode, "site" | "siteSource">, command: string): SiteConfig {
  if (!n.site) throw new BadInputError(`${command} needs a site config: none at ${n.siteSource}`);
  return n.site;
}

export function engineContext(root: Root, facts: Facts, log: Logger, diffs: boolean): EngineContext {
  return {
    root,
    runner: new SpawnRunner(log, !root.live),
    accounts: new Accounts(root),
    log,
    osFamily: facts.os.family,
    diffs,
    stats: { filesWritten: 0, bytesWritten: 0, commandsRun: 0 },
  };
}
