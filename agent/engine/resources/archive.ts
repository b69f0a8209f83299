import path from "node:path";
import type { Root } from "../../nodefs/root.js";
import { runChecked } from "../runner.js";
import type { ArchiveResource, FetchNeed, Handler } from "../types.js";
import { resolveFetch } from "./fetchable.js";

/** Inside the unpacked tree: the sha256 of the archive it came from. */
export const ARCHIVE_MARKER = ".pwb-archive-sha256";

interface ArchiveState {
  need: FetchNeed | null;
}

/** A verified tar.gz unpacked into a directory of its own, replaced whole when the archive changes. */
export const archiveHandler: Handler<ArchiveResource> = {
  id: (r) => `archive:${r.path}`,

  async plan(r, ctx) {
    const marker = (await ctx.root.readText(path.posix.join(r.path, ARCHIVE_MARKER)))?.trim() ?? null;
    // A pinned checksum is compared; one looked up in a manifest is only looked up when the tree is missing.
    if (marker !== null && (typeof r.fetch.sha256 !== "string" || marker === r.fetch.sha256.toLowerCase())) return null;
    return {
      action: marker === null ? "create" : "update",
      summary: [`unpack ${r.fetch.label} from ${r.fetch.url}${marker ? ` (now from ${marker.slice(0, 12)}…)` : ""}`],
      state: { need: null } satisfies ArchiveState,
    };
  },

  async fetches(change, ctx) {
    const need = await resolveFetch((change.resource as ArchiveResource).fetch, ctx);
    (change.state as ArchiveState).need = need;
    return [need];
  },

  /** Extracted beside the destination, then renamed into place: a failed extract never looks installed. */
  async apply(change, ctx) {
    const r = change.resource as ArchiveResource;
    const need = (change.state as ArchiveState).need ?? (await resolveFetch(r.fetch, ctx));
    const tmp = `${r.path}.tmp-${process.pid}`;
    const old = `${r.path}.old-${process.pid}`;
    await removeStaleStaging(ctx.root, r.path);
    await ctx.root.mkdirp(tmp, 0o755);
    try {
      // tar takes real paths: the archive it reads and the staging directory it unpacks into.
      const archive = await ctx.root.realPathFor(need.path, { action: "read" });
      const into = await ctx.root.realPathFor(tmp, { action: "write" });
      await runChecked(ctx.runner, ["tar", "-xzf", archive, "-C", into, `--strip-components=${r.stripComponents}`, "--no-same-owner"]);
      ctx.stats.commandsRun += 1;
      await ctx.root.writeAtomic(path.posix.join(tmp, ARCHIVE_MARKER), `${need.sha256}\n`, { mode: 0o644 });
      await ctx.root.remove(old, { recursive: true });
      await ctx.root.rename(r.path, old).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
      await ctx.root.rename(tmp, r.path);
      await ctx.root.remove(old, { recursive: true });
    } catch (e) {
      await ctx.root.remove(tmp, { recursive: true });
      throw e;
    }
  },
};

/**
 * A run killed mid-extract (or between its two renames) leaves `<dest>.tmp-<pid>` / `<dest>.old-<pid>`
 * under another pid than this run's: the lock says no other run is using them, so they go.
 */
async function removeStaleStaging(root: Root, dest: string): Promise<void> {
  const dir = path.posix.dirname(dest);
  const base = path.posix.basename(dest);
  const isStale = (n: string) => [".tmp-", ".old-"].some((mark) => n.startsWith(base + mark) && /^\d+$/.test(n.slice(base.length + mark.length)));
  const siblings = await root.readdir(dir).catch(() => [] as string[]);
  for (const name of siblings.filter(isStale)) await root.remove(path.posix.join(dir, name), { recursive: true });
}
