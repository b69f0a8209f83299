import { RuntimeFailure } from "../../errors.js";
import type { OsFamily } from "../../facts/types.js";
import { runChecked } from "../runner.js";
import type { EngineContext, FetchNeed, Handler, PackageItem, PackagesResource } from "../types.js";
import { resolveFetch } from "./fetchable.js";
import { aptIntoRoot, dnfIntoRoot, DPKG_DB, installFilesIntoRoot, localAptSources, localRepositories, RPM_DB, rpmRootArgs } from "./packages-root.js";

interface PackagesState {
  missing: PackageItem[];
}

/** Versions compare with the build separator spelled either way ('+' in debs, '-' in rpm file names). */
export function versionSatisfies(installed: string, want: string | undefined): boolean {
  if (want === undefined) return true;
  const n = (v: string) => v.replace(/\+/g, "-");
  return n(installed) === n(want) || n(installed).startsWith(`${n(want)}-`);
}

function requireFamily(ctx: EngineContext): OsFamily {
  if (!ctx.osFamily) throw new RuntimeFailure("package resources need a known OS family (rhel or debian)");
  return ctx.osFamily;
}

/**
 * Installed versions by name, from the root's own package database, in one query. A simulated root
 * without a database has nothing installed (and is not given one by a query: plan never writes).
 */
export async function installedVersions(names: string[], ctx: EngineContext): Promise<Map<string, string>> {
  const family = requireFamily(ctx);
  const out = new Map<string, string>();
  if (names.length === 0) return out;
  if (!ctx.root.live && !(await ctx.root.exists(family === "rhel" ? RPM_DB : `${DPKG_DB}/status`))) return out;
  const argv =
    family === "rhel"
      ? ["rpm", ...rpmRootArgs(ctx.root), "-q", "--qf", "%{NAME}\\t%{VERSION}-%{RELEASE}\\n", ...names]
      : ["dpkg-query", ...(ctx.root.live ? [] : [`--admindir=${await ctx.root.realPathFor(DPKG_DB, { action: "read" })}`]), "-W", "-f=${Package}\\t${Status}\\t${Version}\\n", ...names];
  // Both exit non-zero when some package is missing; the installed ones are still listed on stdout.
  const res = await ctx.runner.run(argv);
  for (const line of res.stdout.split("\n")) {
    const f = line.split("\t");
    if (family === "rhel" && f.length === 2) out.set(f[0]!, f[1]!);
    if (family === "debian" && f.length === 3 && f[1]!.endsWith(" installed")) out.set(f[0]!, f[2]!);
  }
  return out;
}

/** dnf/apt behind one resource: components never know which one a node uses. */
export const packagesHandler: Handler<PackagesResource> = {
  id: (r) => `packages:${r.label}`,

  async plan(r, ctx) {
    const have = await installedVersions(r.items.map((i) => i.name), ctx);
    const missing = r.items.filter((i) => {
      const v = have.get(i.name);
      return v === undefined || !versionSatisfies(v, i.version);
    });
    if (missing.length === 0) return null;
    const summary = missing.map((i) => {
      const want = i.version ?? "any version";
      const now = have.get(i.name);
      return `${i.name} ${now === undefined ? want : `${now} → ${want}`}${i.fetch ? ` (from ${i.fetch.url})` : ""}`;
    });
    return { action: "install", summary, state: { missing } satisfies PackagesState };
  },

  async fetches(change, ctx): Promise<FetchNeed[]> {
    const { missing } = change.state as PackagesState;
    return Promise.all(missing.flatMap((i) => (i.fetch ? [resolveFetch(i.fetch, ctx)] : [])));
  },

  async apply(change, ctx) {
    const { missing } = change.state as PackagesState;
    const family = requireFamily(ctx);
    const files = await Promise.all(missing.filter((i) => i.fetch).map((i) => ctx.root.realPathFor(i.fetch!.path, { action: "read" })));
    const named = missing.filter((i) => !i.fetch);
    const spec = (i: PackageItem) => (i.version ? (family === "rhel" ? `${i.name}-${i.version}` : `${i.name}=${i.version}`) : i.name);
    const transaction = (args: string[]) =>
      family === "rhel"
        ? ["dnf", "install", "-y", "--setopt=install_weak_deps=False", ...args]
        : ["apt-get", "install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", ...args];
    const opts = { mutates: true, env: { DEBIAN_FRONTEND: "noninteractive" }, timeoutMs: 30 * 60_000 };
    if (family === "debian") await finishInterruptedDpkg(ctx, opts);
    if (ctx.root.live) {
      // One transaction: local files and repository packages together, so their dependencies resolve together.
      await runChecked(ctx.runner, transaction([...files, ...named.map(spec)]), opts);
      ctx.stats.commandsRun += 1;
    } else {
      if (files.length) await installFilesIntoRoot(files, family, ctx);
      if (named.length) {
        // A simulated root whose own repositories are all local (loopback or file:): dnf or apt installs into
        // it for real. Anything else would reach out to the network, which a simulated node never does: recorded.
        if (family === "rhel" && (await localRepositories(ctx.root))) await dnfIntoRoot(named.map(spec), ctx);
        else if (family === "debian" && (await localAptSources(ctx.root))) await aptIntoRoot(named.map(spec), ctx);
        else await runChecked(ctx.runner, transaction(named.map(spec)), opts);
      }
    }
    ctx.stats.packagesInstalled = (ctx.stats.packagesInstalled ?? 0) + missing.length;
  },
};

/**
 * A dpkg run killed mid-transaction (a reboot, a SIGKILLed bake) leaves its journal in
 * /var/lib/dpkg/updates, and apt then refuses every install until `dpkg --configure -a` finishes it.
 * Finish it first, as an administrator would, so the next run converges on its own.
 */
async function finishInterruptedDpkg(ctx: EngineContext, opts: { env: Record<string, string>; timeoutMs: number }): Promise<void> {
  const journal = await ctx.root.readdir(`${DPKG_DB}/updates`).catch(() => [] as string[]);
  if (!journal.length) return;
  const rootArgs = ctx.root.live ? [] : [`--root=${ctx.root.dir}`, `--log=${await ctx.root.realPathFor("/var/log/dpkg.log", { action: "write" })}`];
  ctx.log.warn({ root: ctx.root.dir }, "a dpkg transaction was interrupted: finishing it (dpkg --configure -a) before installing");
  // On a simulated root the journal is real (dpkg --root wrote it), so the repair runs for real too.
  await runChecked(ctx.runner, ["dpkg", ...rootArgs, "--force-confold", "--configure", "-a"], { ...opts, mutates: ctx.root.live });
  ctx.stats.commandsRun += 1;
}
