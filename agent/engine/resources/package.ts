import { RuntimeFailure } from "../../errors.js";
import { runChecked } from "../runner.js";
import type { EngineContext, Handler, PackageResource } from "../types.js";

/** Installed version of a package, or null; read-only, also under a simulated root. */
async function installedVersion(r: PackageResource, ctx: EngineContext): Promise<string | null> {
  const family = requireFamily(ctx);
  const argv =
    family === "rhel"
      ? ["rpm", ...(ctx.root.live ? [] : ["--root", ctx.root.dir]), "-q", "--qf", "%{VERSION}-%{RELEASE}", r.name]
      : ["dpkg-query", ...(ctx.root.live ? [] : [`--admindir=${ctx.root.path("/var/lib/dpkg")}`]), "-W", "-f=${Status}\t${Version}", r.name];
  const res = await ctx.runner.run(argv);
  if (res.code !== 0) return null;
  if (family === "rhel") return res.stdout.trim() || null;
  const [status, version] = res.stdout.split("\t");
  return status?.endsWith(" installed") ? (version?.trim() ?? null) : null;
}

function requireFamily(ctx: EngineContext) {
  if (!ctx.osFamily) throw new RuntimeFailure("package resources need a known OS family (rhel or debian)");
  return ctx.osFamily;
}

/** dnf/apt behind one resource: components never know which one a node uses. */
export const packageHandler: Handler<PackageResource> = {
  id: (r) => `package:${r.name}`,

  async plan(r, ctx) {
    const current = await installedVersion(r, ctx);
    if (current !== null && (r.version === undefined || current === r.version)) return null;
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
    await runChecked(ctx.runner, argv, { mutates: true, env: { DEBIAN_FRONTEND: "noninteractive" } });
  },
};
