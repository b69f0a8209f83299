import path from "node:path";
import type { Root } from "../../nodefs/root.js";
import { RuntimeFailure } from "../../errors.js";
import type { Facts } from "../../facts/types.js";
import type { Logger } from "../../log.js";
import { reuseOrCreateKeys, type ExistingKeys, type WorkbenchKeys } from "../../secrets/keys.js";
import { resolveSecret } from "../../secrets/resolve.js";
import type { SiteConfig } from "../../site/types.js";
import type { GatherContext } from "../types.js";
import type { HeadInputs, WorkbenchInputs } from "./inputs.js";
import { parseManifest, sha256 } from "./config/manifest.js";
import { mountHolding, readMountPoints } from "../../nodefs/mounts.js";
import { KEY_FILES, LAUNCHER_PEM, LAUNCHER_PUB, manifestPath, SECURE_COOKIE_KEY } from "./paths.js";
import { MAX_SHARED_FILE_BYTES, observeSharedConfig } from "./config/state.js";

/*
 * The workbench component's gather step, run by the command layer before `wants` (never by `wants`):
 * the head reads its secret and the existing keys (generating absent ones in memory; the engine writes
 * them, so `plan` shows them and changes nothing); a login node looks, bounded, for the head's complete
 * shared configuration.
 */
export async function gatherWorkbenchInputs(facts: Facts, site: SiteConfig, ctx: GatherContext): Promise<WorkbenchInputs> {
  switch (facts.role) {
    case "head":
      return gatherHead(facts, site, ctx);
    case "login": {
      const waitMs = ctx.mode === "apply" ? site.workbench.sharedConfigWaitSeconds * 1000 : 0;
      const shared = await observeSharedConfig(ctx.root, site, { waitMs, log: ctx.log });
      if (!shared.ready) {
        ctx.log.warn(
          { reason: shared.reason },
          ctx.mode === "apply"
            ? "shared Workbench configuration not ready: converging this node's own settings and leaving the Workbench services as they are; the next apply (or boot) starts them"
            : "shared Workbench configuration not ready",
        );
      }
      return { role: "login", shared };
    }
    case "compute":
      return { role: "compute" };
  }
}

async function gatherHead(facts: Facts, site: SiteConfig, ctx: GatherContext): Promise<HeadInputs> {
  await requireSharedMount(ctx.root, site);
  const [databasePassword, existing] = await Promise.all([
    resolveSecret(site.database.password, {
      root: ctx.root,
      region: facts.cluster.region ?? facts.instance.region,
      field: "database.password",
      log: ctx.log,
    }),
    readExistingKeys(ctx.root, site.storage.configDir),
  ]);
  const { keys, generated } = await reuseOrCreateKeys(existing, site.storage.configDir);
  if (generated.length) {
    ctx.log.info({ keys: generated }, ctx.mode === "apply" ? "generated Workbench keys that were absent (written once, reused forever after)" : "Workbench keys absent: apply will generate them");
  }
  await warnOnForeignKeyChange(ctx.root, site, keys, generated, ctx.log);
  return { role: "head", databasePassword, keys };
}

/**
 * The head renders for every login node: into the shared file system, never into the root disk a
 * later mount would hide (login nodes would then wait for a configuration that is not there).
 */
async function requireSharedMount(root: Root, site: SiteConfig): Promise<void> {
  const mounts = await readMountPoints(root);
  if (mounts === null) return; // a simulated node without /proc/mounts: nothing to tell
  for (const p of [site.storage.workbench, site.storage.sharedStoragePath]) {
    if (mountHolding(mounts, p) === null) {
      throw new RuntimeFailure(`${p} is not on a mounted shared file system (only / holds it): refusing to render Workbench's shared configuration onto the head node's own disk. Is the EFS/FSx storage in the cluster config mounted there?`);
    }
  }
}

async function readExistingKeys(root: Root, dir: string): Promise<ExistingKeys> {
  const read = async (name: string): Promise<string | null> => {
    try {
      return await root.readText(path.posix.join(dir, name), { maxBytes: MAX_SHARED_FILE_BYTES });
    } catch (e) {
      if (e instanceof RuntimeFailure) throw e;
      throw new RuntimeFailure(`cannot read ${dir}/${name}: ${(e as Error).message}`);
    }
  };
  const [secureCookieKey, launcherPem, launcherPub] = await Promise.all([read(SECURE_COOKIE_KEY), read(LAUNCHER_PEM), read(LAUNCHER_PUB)]);
  return { secureCookieKey, launcherPem, launcherPub };
}

/**
 * A key that differs from the one the last apply recorded was changed by someone else: keep it (never
 * silently regenerate), but say so, because every login node will restart and sessions will sign in again.
 */
async function warnOnForeignKeyChange(root: Root, site: SiteConfig, keys: WorkbenchKeys, generated: string[], log: Logger): Promise<void> {
  let previous;
  try {
    const text = await root.readText(manifestPath(site), { maxBytes: MAX_SHARED_FILE_BYTES });
    if (text === null) return;
    previous = parseManifest(text);
  } catch {
    return; // first apply, or an unreadable manifest the apply will rewrite
  }
  const now: Record<string, string> = { [SECURE_COOKIE_KEY]: keys.secureCookieKey, [LAUNCHER_PEM]: keys.launcherPem, [LAUNCHER_PUB]: keys.launcherPub };
  for (const name of KEY_FILES) {
    const recorded = previous.files.find((f) => f.name === name);
    if (recorded && !generated.includes(name) && recorded.sha256 !== sha256(now[name]!)) {
      log.warn({ key: name }, `${name} changed since the last apply (not by pwb-agent): keeping it as it is; login nodes will restart Workbench with it`);
    }
  }
}
