import { RuntimeFailure } from "../../errors.js";
import type { AbsentResource, DirResource, Handler, SymlinkResource } from "../types.js";
import { octal } from "./file.js";

interface DirState {
  create: boolean;
  uid?: number;
  gid?: number;
}

export const dirHandler: Handler<DirResource> = {
  id: (r) => `dir:${r.path}`,

  async plan(r, ctx) {
    const st = await ctx.root.lstat(r.path);
    // A link there must stay inside too (refused, not just "not a directory").
    if (st?.isSymbolicLink()) await ctx.root.stat(r.path);
    const uid = r.owner === undefined ? undefined : await ctx.accounts.uid(r.owner);
    const gid = r.group === undefined ? undefined : await ctx.accounts.gid(r.group);
    if (!st) {
      return { action: "create", summary: [`new directory, mode ${octal(r.mode)}`], state: { create: true, uid, gid } };
    }
    if (!st.isDirectory()) throw new RuntimeFailure(`${r.path} exists and is not a directory`);
    const summary: string[] = [];
    const mode = st.mode & 0o7777;
    if (mode !== r.mode) summary.push(`mode ${octal(mode)} → ${octal(r.mode)}`);
    if (uid !== undefined && st.uid !== uid) summary.push(`owner ${st.uid} → ${r.owner} (${uid})`);
    if (gid !== undefined && st.gid !== gid) summary.push(`group ${st.gid} → ${r.group} (${gid})`);
    return summary.length ? { action: "update", summary, state: { create: false, uid, gid } } : null;
  },

  async apply(change, ctx) {
    const r = change.resource as DirResource;
    const state = change.state as DirState;
    if (state.create) await ctx.root.mkdirp(r.path, r.mode);
    if (state.uid !== undefined || state.gid !== undefined) await ctx.root.chown(r.path, state.uid, state.gid);
    await ctx.root.chmod(r.path, r.mode); // mkdir's mode is filtered by the umask
  },
};

export const symlinkHandler: Handler<SymlinkResource> = {
  id: (r) => `symlink:${r.path}`,

  async plan(r, ctx) {
    const st = await ctx.root.lstat(r.path);
    if (st?.isDirectory()) throw new RuntimeFailure(`${r.path} is a directory, expected a symlink`);
    const current = st?.isSymbolicLink() ? await ctx.root.readlink(r.path) : null;
    if (current === r.target) return null;
    if (!st) return { action: "create", summary: [`→ ${r.target}`] };
    return { action: "update", summary: [current === null ? `replace file with link → ${r.target}` : `${current} → ${r.target}`] };
  },

  async apply(change, ctx) {
    const r = change.resource as SymlinkResource;
    await ctx.root.symlink(r.target, r.path, ctx.stats);
  },
};

export const absentHandler: Handler<AbsentResource> = {
  id: (r) => `absent:${r.path}`,

  async plan(r, ctx) {
    const st = await ctx.root.lstat(r.path);
    if (!st) return null;
    if (st.isDirectory()) throw new RuntimeFailure(`${r.path} is a directory; pwb-agent only removes files and links`);
    return { action: "delete", summary: [st.isSymbolicLink() ? "remove link" : `remove file (${st.size} bytes)`] };
  },

  async apply(change, ctx) {
    await ctx.root.remove((change.resource as AbsentResource).path);
  },
};
