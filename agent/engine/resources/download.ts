import { fetchFile, sha256Of } from "../../artifacts/fetch.js";
import type { DownloadResource, Handler } from "../types.js";

/** A file at a path with a known sha256; fetched (retried, resumed, verified) only when it differs. */
export const downloadHandler: Handler<DownloadResource> = {
  id: (r) => `file:${r.path}`,

  async plan(r, ctx) {
    // Hashed where it stands: the file is read, so a link there must stay inside the root too.
    const current = await sha256Of(await ctx.root.realPathFor(r.path, { action: "read" }));
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
    // The fetcher writes (resumes, verifies, renames into place) a real path.
    const dest = await ctx.root.realPathFor(r.path, { action: "write", followLeaf: false });
    if ((await fetchFile({ name: r.path, url: r.url, sha256: r.sha256, dest }, ctx.log)) !== "cached") ctx.stats.downloads = (ctx.stats.downloads ?? 0) + 1;
    await ctx.root.chmod(r.path, r.mode);
    ctx.stats.filesWritten += 1;
    ctx.stats.bytesWritten += (await ctx.root.stat(r.path))?.size ?? 0;
  },
};
