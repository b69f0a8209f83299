import { RuntimeFailure } from "../../errors.js";
import { runChecked } from "../runner.js";
import type { EngineContext, Handler, PackageResource } from "../types.js";
import { installedVersions, versionSatisfies } from "./packages.js";

function requireFamily(ctx: EngineContext) {
  if (!ctx.osFamily) throw new RuntimeFailure("package resources need a known OS family (rhel or debian)");
  return ctx.osFamily;
}

/** One package through dnf/apt (several at once: the `packages` resource); queried in the root's own database. */
export const packageHandler: Handler<PackageResource> = {
  id: (r) => `package:${r.name}`,

  async plan(r, ctx) {
    const current = (await installedVersions([r.name], ctx)).get(r.name) ?? null;
    if (current !== null && versionSatisfies(current, r.version)) return null;
    const want = r.version ?? "any version";
    return current === null
      ? { action: "install", summary: [`install ${want}`] }
      : { action: "install", summary: [`${current} → ${want}`] };
  },

  async apply(change, ctx) {
    const r = change.resource as PackageResource;
    // A local file path makes dnf/apt install that file (apt needs the path to contain a slash).
    const argv =
      requireFamily(ctx) === "rhel"
        ? ["dnf", "install", "-y", "--setopt=install_weak_deps=False", r.source ?? (r.version ? `${r.name}-${r.version}` : r.name)]
        : ["apt-get", "install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", r.source ?? (r.version ? `${r.name}=${r.version}` : r.name)];
    const res = await runChecked(ctx.runner, argv, { mutates: true, env: { DEBIAN_FRONTEND: "noninteractive" } });
    if (!res.deferred) ctx.stats.commandsRun += 1;
    ctx.stats.packagesInstalled = (ctx.stats.packagesInstalled ?? 0) + 1;
  },
};
