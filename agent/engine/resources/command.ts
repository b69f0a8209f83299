import { runChecked } from "../runner.js";
import type { CommandResource, Handler } from "../types.js";

/** A command guarded by `creates` (a path) or `unless` (a command that exits 0 when done). */
export const commandHandler: Handler<CommandResource> = {
  id: (r) => `command:${r.label}`,

  async plan(r, ctx) {
    if (r.creates && (await ctx.root.exists(r.creates))) return null;
    if (r.unless) {
      // A guard probes the system it guards, so it only means something on the live node.
      if (ctx.root.live && (await ctx.runner.run(r.unless)).code === 0) return null;
    }
    return { action: "run", summary: [r.argv.join(" ")] };
  },

  async apply(change, ctx) {
    const r = change.resource as CommandResource;
    const res = await runChecked(ctx.runner, r.argv, { mutates: true });
    if (!res.deferred) ctx.stats.commandsRun += 1;
  },
};
