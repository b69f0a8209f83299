// Package managers pointed at a simulated root (`--root`): rpm/dnf and dpkg/apt install into the root's
// own package database, never this machine's, and only from repositories on this machine.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { OsFamily } from "../../facts/types.js";
import { TMP_MARK } from "../../nodefs/files.js";
import type { Root } from "../../nodefs/root.js";
import { runChecked } from "../runner.js";
import type { EngineContext } from "../types.js";

/** Where RHEL keeps its rpm database; named explicitly under a simulated root (hosts differ in their default). */
export const RPM_DB = "/var/lib/rpm";
export const DPKG_DB = "/var/lib/dpkg";
/** dnf's own state (its history database) under the root: where dnf keeps it on a node. */
const DNF_STATE = "/var/lib/dnf";

export function rpmRootArgs(root: Root): string[] {
  return root.live ? [] : ["--root", root.dir, "--dbpath", RPM_DB];
}

/**
 * Verified package files into a simulated root, for real, with the root's own package database:
 * `dpkg --root` / `rpm --root`. Maintainer scripts run chrooted into the root, so they change that tree
 * and never this machine. Dependencies are not enforced: a bare root has no base system to satisfy them.
 */
export async function installFilesIntoRoot(files: string[], family: OsFamily, ctx: EngineContext): Promise<void> {
  const root = ctx.root;
  if (family === "debian") {
    await initDpkgDatabase(root);
    const log = await root.realPathFor("/var/log/dpkg.log", { action: "write" });
    await runChecked(ctx.runner, ["dpkg", `--root=${root.dir}`, "--force-depends", `--log=${log}`, "--install", ...files]);
  } else {
    await initRpmDatabase(ctx);
    await runChecked(ctx.runner, ["rpm", ...rpmRootArgs(root), "-U", "--nodeps", "--replacepkgs", ...files]);
  }
  ctx.stats.commandsRun += 1;
}

/** True when the root has yum repositories and every one of them is on this machine (loopback or file://). */
export async function localRepositories(root: Root): Promise<boolean> {
  const dir = "/etc/yum.repos.d";
  const files = (await root.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".repo"));
  if (files.length === 0) return false;
  for (const f of files) {
    const text = (await root.readText(path.posix.join(dir, f))) ?? "";
    if (/^\s*(mirrorlist|metalink)\s*=/m.test(text)) return false;
    const urls = [...text.matchAll(/^\s*baseurl\s*=\s*(\S+)/gm)].map((m) => m[1]!);
    if (!urls.every((u) => LOCAL_URL.test(u))) return false;
  }
  return true;
}

const LOCAL_URL = /^(file:|copy:|https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/])/;

/**
 * True when the root has apt sources and every one is on this machine (file:, or loopback http). Reads
 * one-line `.list` files (`deb [opts] URI suite ...`) and deb822 `.sources` files (`URIs:`).
 */
export async function localAptSources(root: Root): Promise<boolean> {
  const uris: string[] = [];
  const lines = (text: string) => text.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
  const list = async (file: string) => {
    for (const l of lines((await root.readText(file)) ?? "")) {
      const m = l.match(/^deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)/);
      if (m) uris.push(m[1]!);
    }
  };
  if (await root.exists("/etc/apt/sources.list")) await list("/etc/apt/sources.list");
  const dir = "/etc/apt/sources.list.d";
  for (const f of await root.readdir(dir).catch(() => [] as string[])) {
    if (f.endsWith(".list")) await list(path.posix.join(dir, f));
    if (f.endsWith(".sources")) {
      for (const l of lines((await root.readText(path.posix.join(dir, f))) ?? "")) {
        const m = l.match(/^URIs:\s*(.+)$/i);
        if (m) uris.push(...m[1]!.split(/\s+/));
      }
    }
  }
  return uris.length > 0 && uris.every((u) => LOCAL_URL.test(u));
}

/**
 * apt-get pointed at the root: its own sources, lists, cache and dpkg database (`Dir=`), dpkg itself run
 * with `--root` so files, maintainer scripts and the database all land in the root. Dependencies resolve
 * from the root's repositories as on a real node. apt's download sandbox user may not exist on this
 * machine, and file: repositories need no privilege drop: it runs as the caller.
 */
export async function aptIntoRoot(specs: string[], ctx: EngineContext): Promise<void> {
  const root = ctx.root;
  await initDpkgDatabase(root);
  for (const d of ["/var/lib/apt/lists/partial", "/var/cache/apt/archives/partial", "/var/log/apt", "/etc/apt/apt.conf.d", "/etc/apt/preferences.d"]) {
    await root.mkdirp(d, 0o755);
  }
  const status = await root.realPathFor(`${DPKG_DB}/status`, { action: "write" });
  const dpkgLog = await root.realPathFor("/var/log/dpkg.log", { action: "write" });
  const aptOpts = [
    "-o", `Dir=${root.dir}`, "-o", `Dir::State::status=${status}`, "-o", "APT::Sandbox::User=root",
    "-o", `Dpkg::Options::=--root=${root.dir}`, "-o", `Dpkg::Options::=--log=${dpkgLog}`, "-o", "Dpkg::Options::=--force-confold",
  ];
  const opts = { env: { DEBIAN_FRONTEND: "noninteractive" }, timeoutMs: 30 * 60_000 };
  const sources = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-apt-sources-"));
  try {
    aptOpts.push(...(await rootedAptSources(root, sources)));
    await runChecked(ctx.runner, ["apt-get", "-q", ...aptOpts, "update"], opts);
    await runChecked(ctx.runner, ["apt-get", "-q", "-y", ...aptOpts, "install", "--no-install-recommends", ...specs], opts);
    ctx.stats.commandsRun += 2;
  } finally {
    await fs.rm(sources, { recursive: true, force: true });
  }
}

/**
 * apt reads a source's `signed-by` keyring from this machine's path, not the root's (`Dir=` does not
 * prefix it): copies of the root's sources, in `dir` outside the root, name the root's keyrings instead.
 * Returns the apt options that read them.
 */
async function rootedAptSources(root: Root, dir: string): Promise<string[]> {
  const signedBy = [/(signed-by=)(\/[^\s\],]+)/gi, /^(Signed-By:[ \t]*)(\/\S+)[ \t]*$/gim];
  const rooted = async (text: string) => {
    const real = new Map<string, string>();
    for (const re of signedBy) for (const m of text.matchAll(re)) real.set(m[2]!, await root.realPathFor(m[2]!, { action: "read" }));
    return signedBy.reduce((t, re) => t.replace(re, (_m, k: string, p: string) => `${k}${real.get(p)!}`), text);
  };
  const list = (await root.readText("/etc/apt/sources.list").catch(() => null)) ?? "";
  await fs.writeFile(path.join(dir, "sources.list"), await rooted(list));
  const parts = path.join(dir, "sources.list.d");
  await fs.mkdir(parts);
  for (const f of await root.readdir("/etc/apt/sources.list.d").catch(() => [] as string[])) {
    if (f.endsWith(".list") || f.endsWith(".sources")) await fs.writeFile(path.join(parts, f), await rooted((await root.readText(`/etc/apt/sources.list.d/${f}`)) ?? ""));
  }
  return ["-o", `Dir::Etc::sourcelist=${path.join(dir, "sources.list")}`, "-o", `Dir::Etc::sourceparts=${parts}`];
}

/**
 * `dnf --installroot` with only the root's own repositories and release. The rpm database goes where
 * RHEL keeps it: some hosts' rpm (Debian's) defaults it to $HOME/.rpmdb, so dnf runs with a HOME whose
 * .rpmmacros says /var/lib/rpm.
 */
export async function dnfIntoRoot(specs: string[], ctx: EngineContext): Promise<void> {
  const root = ctx.root;
  await initRpmDatabase(ctx);
  const osRelease = ((await root.readText("/etc/os-release").catch(() => null)) ?? "").match(/^VERSION_ID="?([0-9]+)/m);
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-dnf-home-"));
  try {
    await fs.writeFile(path.join(home, ".rpmmacros"), `%_dbpath ${RPM_DB}\n`);
    // dnf reads a repository's `gpgkey=file://` from this machine, not from the root: the root's keys go
    // into the root's rpm database first, where dnf checks signatures (on a node, dnf reads them from / itself).
    for (const key of await repositoryKeyFiles(root)) {
      await runChecked(ctx.runner, ["rpm", ...rpmRootArgs(root), "--import", await root.realPathFor(key, { action: "read" })]);
      ctx.stats.commandsRun += 1;
    }
    const reposdir = await root.realPathFor("/etc/yum.repos.d", { action: "read" });
    await withDnfHistoryGuard(root, () =>
      runChecked(ctx.runner, [
        "dnf", "install", "-y", "-q", `--installroot=${root.dir}`, `--setopt=reposdir=${reposdir}`,
        // Relative to the installroot: dnf prefixes it to cachedir itself (and keeps its history in the root's /var/lib/dnf).
        "--setopt=cachedir=/var/cache/dnf", "--setopt=install_weak_deps=False",
        ...(osRelease ? [`--releasever=${osRelease[1]}`] : []), ...specs,
      ], { env: { HOME: home }, timeoutMs: 30 * 60_000 }).then(() => undefined),
    );
    ctx.stats.commandsRun += 1;
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

/**
 * A simulated root's rpm database, made whole or not at all: `rpm --initdb` in a staging directory
 * beside it, then one rename. Killed while rpm creates its tables, it would leave a database that every
 * later (read-only) query refuses. A node's database exists already; a stale staging directory is redone.
 */
async function initRpmDatabase(ctx: EngineContext): Promise<void> {
  const root = ctx.root;
  if (root.live || (await root.exists(RPM_DB))) return;
  const staging = path.posix.join(path.posix.dirname(RPM_DB), `${TMP_MARK}rpm-init`);
  await root.remove(staging, { recursive: true });
  await runChecked(ctx.runner, ["rpm", "--root", root.dir, "--dbpath", staging, "--initdb"]);
  ctx.stats.commandsRun += 1;
  await root.rename(staging, RPM_DB);
  await root.syncDir(path.posix.dirname(RPM_DB));
}

/**
 * dnf creates its history database in a root's first transaction; killed then, it leaves one without
 * tables that fails every later run. So a root's first dnf run is marked (a file beside the database,
 * removed once dnf succeeds), and a run that finds the mark removes the half-made database first: dnf
 * makes a new one, and a simulated root's history is nobody's record.
 */
async function withDnfHistoryGuard(root: Root, run: () => Promise<void>): Promise<void> {
  const mark = `${DNF_STATE}/.pwb-agent-first-transaction`;
  const history = `${DNF_STATE}/history.sqlite`;
  if (await root.exists(mark)) {
    for (const f of [history, `${history}-wal`, `${history}-shm`, `${history}-journal`]) await root.remove(f);
  } else if (await root.exists(history)) {
    return run();
  }
  await root.writeAtomic(mark, "", { mode: 0o644 });
  await run();
  await root.remove(mark);
}

/** The root's `gpgkey=file://` keys of its yum repositories (paths in the root) that exist there. */
async function repositoryKeyFiles(root: Root): Promise<string[]> {
  const dir = "/etc/yum.repos.d";
  const keys = new Set<string>();
  for (const f of (await root.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".repo")).sort()) {
    const text = (await root.readText(path.posix.join(dir, f))) ?? "";
    for (const m of text.matchAll(/^\s*gpgkey\s*=\s*(.+)$/gm)) {
      for (const url of m[1]!.split(/[\s,]+/)) if (url.startsWith("file:///")) keys.add(url.slice("file://".length));
    }
  }
  const present: string[] = [];
  for (const k of keys) if (await root.exists(k)) present.push(k);
  return present;
}

/** dpkg --root needs its database skeleton; a real Ubuntu root already has it. */
async function initDpkgDatabase(root: Root): Promise<void> {
  for (const d of ["info", "updates", "triggers"]) await root.mkdirp(path.posix.join(DPKG_DB, d), 0o755);
  await root.mkdirp("/var/log", 0o755);
  // Made empty when missing, never truncated.
  for (const f of ["status", "available"]) if (!(await root.exists(path.posix.join(DPKG_DB, f)))) await root.writeAtomic(path.posix.join(DPKG_DB, f), "", { mode: 0o644 });
}
