import { createHash, randomBytes } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../../errors.js";
import { lstatMaybe, removeStaleTemps } from "../fsutil.js";
import type { DownloadResource, Handler } from "../types.js";

const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export async function sha256File(realPath: string): Promise<string | null> {
  if (!(await lstatMaybe(realPath))) return null;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(realPath)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A file at a path with a known sha256; fetched only when the file there differs. */
export const downloadHandler: Handler<DownloadResource> = {
  id: (r) => `file:${r.path}`,

  async plan(r, ctx) {
    const current = await sha256File(ctx.root.path(r.path));
    if (current === r.sha256.toLowerCase()) return null;
    return {
      action: current === null ? "create" : "update",
      summary: [`download ${r.url}`, `sha256 ${r.sha256.slice(0, 12)}…${current ? ` (now ${current.slice(0, 12)}…)` : ""}`],
    };
  },

  async apply(change, ctx) {
    const r = change.resource as DownloadResource;
    const real = ctx.root.path(r.path);
    await fs.mkdir(path.dirname(real), { recursive: true, mode: 0o755 });
    await removeStaleTemps(real);
    const tmp = path.join(path.dirname(real), `.${path.basename(real)}.pwb-tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
    const res = await fetch(r.url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) }).catch((e: Error) => {
      throw new RuntimeFailure(`download of ${r.url} failed: ${e.message}`);
    });
    if (!res.ok || !res.body) throw new RuntimeFailure(`download of ${r.url} failed: HTTP ${res.status}`);
    const hash = createHash("sha256");
    const h = await fs.open(tmp, "wx", 0o600);
    let bytes = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        await h.write(chunk);
        bytes += chunk.length;
      }
      const got = hash.digest("hex");
      if (got !== r.sha256.toLowerCase()) {
        throw new RuntimeFailure(`sha256 mismatch for ${r.url}: expected ${r.sha256}, got ${got}; nothing installed`);
      }
      await h.chmod(r.mode);
      await h.sync();
      await h.close();
      await fs.rename(tmp, real);
      ctx.stats.filesWritten += 1;
      ctx.stats.bytesWritten += bytes;
    } catch (e) {
      await h.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw e;
    }
  },
};
