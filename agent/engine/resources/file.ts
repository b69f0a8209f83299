import { createHash } from "node:crypto";
import { createTwoFilesPatch } from "diff";
import { RuntimeFailure } from "../../errors.js";
import type { Change, EngineContext, FileResource, Handler, PlannedChange } from "../types.js";

const MAX_DIFF_BYTES = 256 * 1024;
/** Beyond this many changed lines a diff is noise and costs seconds: describe it instead. */
const MAX_DIFF_EDITS = 2000;
export const REDACTED = "<redacted>";

interface FileState {
  writeContent: boolean;
  removeTemps: boolean;
  uid?: number;
  gid?: number;
}

export const fileHandler: Handler<FileResource> = {
  id: (r) => `file:${r.path}`,

  async plan(r, ctx): Promise<PlannedChange | null> {
    // The temporary directory is confined now too: a refusal at plan time has changed nothing.
    if (r.tmpDir !== undefined) await ctx.root.stat(r.tmpDir);
    const st = await ctx.root.lstat(r.path);
    if (st?.isDirectory()) throw new RuntimeFailure(`${r.path} is a directory, expected a file`);
    const desired = toBuffer(r.content);
    const uid = r.owner === undefined ? undefined : await ctx.accounts.uid(r.owner);
    const gid = r.group === undefined ? undefined : await ctx.accounts.gid(r.group);
    const state: FileState = { writeContent: false, removeTemps: false, uid, gid };

    if (!st || st.isSymbolicLink()) {
      state.writeContent = true;
      const summary = [`new file, ${desired.length} bytes, mode ${octal(r.mode)}${ownerText(r)}`];
      if (st) summary.push("replaces a symlink");
      return { action: "create", summary, diff: ctx.diffs ? contentDiff(r, null, desired) : undefined, state };
    }
    const current = (await ctx.root.readBytes(r.path)) ?? Buffer.alloc(0);
    const summary: string[] = [];
    if (!current.equals(desired)) {
      state.writeContent = true;
      summary.push(r.secret ? `content changed (${REDACTED})` : `content ${current.length} → ${desired.length} bytes`);
    }
    const mode = st.mode & 0o7777;
    if (mode !== r.mode) summary.push(`mode ${octal(mode)} → ${octal(r.mode)}`);
    if (uid !== undefined && st.uid !== uid) summary.push(`owner ${st.uid} → ${r.owner} (${uid})`);
    if (gid !== undefined && st.gid !== gid) summary.push(`group ${st.gid} → ${r.group} (${gid})`);
    const leftovers = await ctx.root.staleTemps(r.path, r.tmpDir);
    if (leftovers.length) {
      state.removeTemps = true;
      summary.push(`remove ${leftovers.length} temporary file(s) left by an interrupted run`);
    }
    if (summary.length === 0) return null;
    return {
      action: "update",
      summary,
      diff: state.writeContent && ctx.diffs ? contentDiff(r, current, desired) : undefined,
      state,
    };
  },

  async apply(change: Change, ctx: EngineContext): Promise<void> {
    const r = change.resource as FileResource;
    const state = change.state as FileState;
    // Every call confines again: the tree may have changed since the plan was read.
    if (state.writeContent) {
      await ctx.root.writeAtomic(r.path, toBuffer(r.content), { mode: r.mode, uid: state.uid, gid: state.gid, tmpDir: r.tmpDir }, ctx.stats);
      return;
    }
    // Only metadata (or leftovers) differ: fix them in place, no rewrite.
    if (state.removeTemps) await ctx.root.removeStaleTemps(r.path, r.tmpDir);
    if (state.uid !== undefined || state.gid !== undefined) await ctx.root.chown(r.path, state.uid, state.gid);
    await ctx.root.chmod(r.path, r.mode);
  },
};

function toBuffer(content: string | Uint8Array): Buffer {
  return typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
}

export function octal(mode: number): string {
  return "0" + mode.toString(8).padStart(3, "0");
}

function ownerText(r: FileResource): string {
  if (!r.owner && !r.group) return "";
  return `, owner ${r.owner ?? "-"}:${r.group ?? "-"}`;
}

function isText(buf: Buffer): boolean {
  return !buf.includes(0) && Buffer.from(buf.toString("utf8"), "utf8").equals(buf);
}

function sha(buf: Buffer): string {
  return createHash("sha256").update(buf).digest("hex").slice(0, 12);
}

/** A unified diff for text, a hash line for binary, and nothing that could leak a secret. */
function contentDiff(r: FileResource, current: Buffer | null, desired: Buffer): string {
  if (r.secret) return REDACTED;
  const textual = typeof r.content === "string" || (isText(desired) && (current === null || isText(current)));
  if (!textual || desired.length > MAX_DIFF_BYTES || (current?.length ?? 0) > MAX_DIFF_BYTES) {
    return `binary: ${current ? `sha256:${sha(current)}` : "(none)"} → sha256:${sha(desired)}`;
  }
  const patch = createTwoFilesPatch(
    current ? r.path : "/dev/null",
    r.path,
    current ? current.toString("utf8") : "",
    desired.toString("utf8"),
    undefined,
    undefined,
    { context: 3, maxEditLength: MAX_DIFF_EDITS },
  );
  if (patch === undefined) {
    return `too many changed lines to show: sha256:${current ? sha(current) : "(none)"} → sha256:${sha(desired)}`;
  }
  return patch
    .split("\n")
    .filter((line) => !line.startsWith("====")) // the library's separator line
    .join("\n")
    .trimEnd();
}
