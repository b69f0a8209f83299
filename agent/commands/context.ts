import { promises as fs } from "node:fs";
import { Accounts } from "../nodefs/accounts.js";
import { Root } from "../nodefs/root.js";
import { SpawnRunner } from "../engine/runner.js";
import type { EngineContext } from "../engine/types.js";
import { BadInputError } from "../errors.js";
import { gatherFacts } from "../facts/index.js";
import type { Facts, Role } from "../facts/types.js";
import type { Logger } from "../log.js";

/** Options every command shares (the CLI's global flags). */
export interface GlobalOptions {
  root: string;
  role?: Role;
  json: boolean;
  imds: boolean;
  imdsEndpoint?: string;
}

export async function openRoot(dir: string): Promise<Root> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new BadInputError(`--root ${dir}: not a directory`);
  return new Root(dir);
}

/** `defaultRole`: the role a command uses when --role is not given (bake), never logged as an override. */
export function detectFacts(root: Root, g: GlobalOptions, log: Logger, defaultRole?: Role): Promise<Facts> {
  return gatherFacts({
    root,
    ...(g.role ? { roleOverride: g.role } : defaultRole ? { roleOverride: defaultRole, roleOverrideIsDefault: true } : {}),
    imds: { enabled: g.imds, ...(g.imdsEndpoint ? { endpoint: g.imdsEndpoint } : {}) },
    log,
  });
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

/** stdout for results; keep it separate from the log stream's writes. */
export function out(text: string): void {
  process.stdout.write(text);
}
