import { promises as fs } from "node:fs";
import { fetchFile, sha256Of } from "../../artifacts/fetch.js";
import type { DownloadResource, Handler } from "../types.js";

/** A file at a path with a known sha256; fetched (retried, resumed, verified) only when it differs. */
export const downloadHandler: Handler<DownloadResource> = {
  id: (r) => `file:${r.path}`,

  async plan(r, ctx) {
    const current = await sha256Of(await ctx.root.confined(r.path, { followLeaf: false }));
    if (current === r.sha256.toLowerCase()) return null;
    return {
      action: current === null ? "create" : "update",
      summary: [`download ${r.url}`, `sha256 ${r.sha256.slice(0, 12)}…${current ? ` (now ${current.slice(0, 12)}…)` : ""}`],
    };
  },

  // Fetched with every other file of the plan, before the first change (see apply.ts); apply then only hashes it.
  async fetches(change) {
    const r = change.resource as DownloadResource;
    return [{ label: r.path, url: r.url, sha256: r.sha256, path: r.path }];
  },

  async apply(change, ctx) {
    const r = change.resource as DownloadResource;
    const real = await ctx.root.confined(r.path, { followLeaf: false });
    if ((await fetchFile({ name: r.path, url: r.url, sha256: r.sha256, dest: real }, ctx.log)) !== "cached") ctx.stats.downloads = (ctx.stats.downloads ?? 0) + 1;
    await fs.chmod(real, r.mode);
    ctx.stats.filesWritten += 1;
    ctx.stats.bytesWritten += (await fs.stat(real)).size;
  },
};
