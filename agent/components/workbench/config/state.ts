import { setTimeout as sleep } from "node:timers/promises";
import type { Root } from "../../../nodefs/root.js";
import { isMissing } from "../../../nodefs/files.js";
import type { Logger } from "../../../log.js";
import type { SiteConfig } from "../../../site/types.js";
import type { SharedConfigState } from "../inputs.js";
import { parseManifest, sha256 } from "./manifest.js";
import { configFile, manifestPath } from "../paths.js";

/** The shared Workbench files (INI, keys, manifest) are kilobytes; anything bigger is not ours. */
export const MAX_SHARED_FILE_BYTES = 1024 * 1024;

/*
 * Reads what the head node wrote on shared storage. Part of the component's gather step (and of
 * `doctor`): it only reads, never writes, and every wait is bounded.
 */

/** One look: ready when the manifest exists and every file it lists matches it (content and mode). */
export async function checkSharedConfig(root: Root, site: SiteConfig): Promise<SharedConfigState> {
  const where = manifestPath(site);
  let text: string | null;
  try {
    text = await root.readText(where, { maxBytes: MAX_SHARED_FILE_BYTES });
  } catch (e) {
    return { ready: false, reason: `cannot read ${where}: ${(e as Error).message}` };
  }
  if (text === null) {
    return {
      ready: false,
      reason: `no manifest at ${where}: the head node has not rendered the shared Workbench configuration yet, or ${site.storage.workbench} is not mounted`,
    };
  }
  let manifest;
  try {
    manifest = parseManifest(text);
  } catch (e) {
    return { ready: false, reason: `${where}: not a pwb-agent manifest (${(e as Error).message})` };
  }
  if (manifest.configDir !== site.storage.configDir) {
    return { ready: false, reason: `${where} describes ${manifest.configDir}, but the site config says ${site.storage.configDir}` };
  }
  for (const entry of manifest.files) {
    const p = configFile(site, entry.name);
    let data: Buffer;
    let mode: number;
    try {
      const read = await root.readBytes(p, { maxBytes: MAX_SHARED_FILE_BYTES });
      if (read === null) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      data = read;
      const st = await root.stat(p);
      if (st === null) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      mode = st.mode & 0o7777;
    } catch (e) {
      return { ready: false, reason: isMissing(e) ? `${p} is missing (listed in the manifest)` : `cannot read ${p}: ${(e as Error).message}` };
    }
    if (sha256(data) !== entry.sha256) return { ready: false, reason: `${p} differs from the manifest (the head node may be rewriting it)` };
    if (mode !== entry.mode) return { ready: false, reason: `${p} has mode 0${mode.toString(8)}, the manifest says 0${entry.mode.toString(8)}` };
  }
  return { ready: true, manifest };
}

export interface WaitOptions {
  waitMs: number;
  pollMs?: number;
  log: Logger;
}

/** Looks until the configuration is complete or `waitMs` has passed; never an endless loop. */
export async function observeSharedConfig(root: Root, site: SiteConfig, o: WaitOptions): Promise<SharedConfigState> {
  const started = Date.now();
  const deadline = started + o.waitMs;
  let announced = false;
  for (;;) {
    const state = await checkSharedConfig(root, site);
    if (state.ready) {
      if (announced) o.log.info({ waitedMs: Date.now() - started }, "shared Workbench configuration is complete");
      if (state.manifest.workbenchVersion !== site.workbench.version) {
        o.log.warn(
          { rendered: state.manifest.workbenchVersion, site: site.workbench.version },
          "the head node rendered the shared configuration for another Workbench version than this node's site config names",
        );
      }
      return state;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      if (o.waitMs > 0) return { ready: false, reason: `${state.reason} (waited ${Math.round((Date.now() - started) / 1000)} s)` };
      return state;
    }
    if (!announced) {
      o.log.info({ reason: state.reason, waitS: Math.round(o.waitMs / 1000) }, "waiting for the head node's shared Workbench configuration");
      announced = true;
    }
    await sleep(Math.min(o.pollMs ?? 1000, left));
  }
}
