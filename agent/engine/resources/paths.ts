import { promises as fs } from "node:fs";
import { RuntimeFailure } from "../../errors.js";
import { atomicSymlink, lstatMaybe, readlinkMaybe } from "../../nodefs/files.js";
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
    const st = await lstatMaybe(await ctx.root.confined(r.path));
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
    const real = await ctx.root.confined(r.path);
    if (state.create) await fs.mkdir(real, { recursive: true, mode: r.mode });
    if (state.uid !== undefined || state.gid !== undefined) await fs.chown(real, state.uid ?? -1, state.gid ?? -1);
    await fs.chmod(real, r.mode); // mkdir's mode is filtered by the umask
  },
};

export const symlinkHandler: Handler<SymlinkResource> = {
  id: (r) => `symlink:${r.path}`,

  async plan(r, ctx) {
    const real = await ctx.root.confined(r.path, { followLeaf: false });
    const st = await lstatMaybe(real);
    if (st?.isDirectory()) throw new RuntimeFailure(`${r.path} is a directory, expected a symlink`);
    const current = st?.isSymbolicLink() ? await readlinkMaybe(real) : null;
    if (current === r.target) return null;
    if (!st) return { action: "create", summary: [`→ ${r.target}`] };
    return { action: "update", summary: [current === null ? `replace file with link → ${r.target}` : `${current} → ${r.target}`] };
  },

  async apply(change, ctx) {
    const r = change.resource as SymlinkResource;
    await atomicSymlink(r.target, await ctx.root.confined(r.path, { followLeaf: false }), ctx.stats);
  },
};

export const absentHandler: Handler<AbsentResource> = {
  id: (r) => `absent:${r.path}`,

  async plan(r, ctx) {
    const st = await lstatMaybe(await ctx.root.confined(r.path, { followLeaf: false, action: "remove" }));
    if (!st) return null;
    if (st.isDirectory()) throw new RuntimeFailure(`${r.path} is a directory; pwb-agent only removes files and links`);
    return { action: "delete", summary: [st.isSymbolicLink() ? "remove link" : `remove file (${st.size} bytes)`] };
  },

  async apply(change, ctx) {
    await fs.rm(await ctx.root.confined((change.resource as AbsentResource).path, { followLeaf: false, action: "remove" }), { force: true });
  },
};
