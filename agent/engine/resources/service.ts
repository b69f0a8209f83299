import path from "node:path";
import { RuntimeFailure } from "../../errors.js";
import { ADMIN_UNIT_DIR, enablementLinks, findUnitFile, isMasked, readUnitInstall } from "../systemd.js";
import type { Handler, PlannedChange, ServiceResource } from "../types.js";

/** What a service change does: links now (phase 1), start/stop after daemon-reload (phase 3). */
export interface ServiceState {
  link: Array<{ path: string; target: string }>;
  unlink: string[];
  start: boolean;
  stop: boolean;
}

/**
 * Enablement is filesystem state: the `<target>.wants/<unit>` links `systemctl enable` makes.
 * Reading and writing them directly keeps `plan` exact under any root; run state goes through
 * systemctl and is only checked on the live node.
 */
export const serviceHandler: Handler<ServiceResource> = {
  id: (r) => `service:${r.name}`,

  async plan(r, ctx): Promise<PlannedChange | null> {
    if (await isMasked(ctx.root, r.name)) {
      // Masking is an administrator's explicit "never run this": report it, don't fight it.
      if (r.enabled || r.active) ctx.log.warn({ service: r.name }, "masked by an administrator: not enabled or started (systemctl unmask to hand it back)");
      return null;
    }
    const state: ServiceState = { link: [], unlink: [], start: false, stop: false };
    const summary: string[] = [];
    const existing = await enablementLinks(ctx.root, r.name);

    if (r.enabled) {
      const unitPath = r.unitPath ?? (await findUnitFile(ctx.root, r.name));
      if (!unitPath) throw new RuntimeFailure(`cannot enable ${r.name}: no unit file in the systemd unit directories`);
      const wantedBy = r.wantedBy ?? (await readUnitInstall(ctx.root, unitPath))?.wantedBy ?? [];
      if (wantedBy.length === 0) throw new RuntimeFailure(`cannot enable ${r.name}: its unit has no [Install] WantedBy=`);
      for (const target of wantedBy) {
        const link = path.posix.join(ADMIN_UNIT_DIR, `${target}.wants`, r.name);
        const current = await ctx.root.readlink(link);
        if (current !== unitPath) state.link.push({ path: link, target: unitPath });
      }
      if (state.link.length) summary.push(`enable (${state.link.map((l) => path.posix.basename(path.posix.dirname(l.path))).join(", ")})`);
    } else if (existing.length) {
      state.unlink = existing;
      summary.push(`disable (remove ${existing.map((l) => path.posix.basename(path.posix.dirname(l))).join(", ")})`);
    }

    if (r.active !== undefined && ctx.root.live) {
      const res = await ctx.runner.run(["systemctl", "is-active", "--quiet", r.name]);
      const active = res.code === 0;
      if (r.active && !active) state.start = true;
      if (!r.active && active) state.stop = true;
    } else if (r.active !== undefined && state.link.length && r.active) {
      // Newly enabled on a simulated root: it would be started too (recorded, not run).
      state.start = true;
    }
    if (state.start) summary.push("start");
    if (state.stop) summary.push("stop");
    if (summary.length === 0) return null;
    const action = state.link.length ? "enable" : state.unlink.length ? "disable" : state.start ? "start" : "stop";
    return { action, summary, state };
  },

  /** Phase 1 only: the links. Start/stop run after daemon-reload (see apply.ts). */
  async apply(change, ctx) {
    const state = change.state as ServiceState;
    for (const l of state.link) await ctx.root.symlink(l.target, l.path, ctx.stats);
    for (const l of state.unlink) await ctx.root.remove(l);
  },
};
