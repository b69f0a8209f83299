import { promises as fs } from "node:fs";
import path from "node:path";
import type { Root } from "../engine/root.js";
import { runChecked, type CommandRunner } from "../engine/runner.js";
import type { BakeArtifact } from "./artifacts.js";
import { installDir } from "./installed.js";

export type InstallOutcome = "installed" | "deferred";

/**
 * Installs verified packages in one package-manager transaction per format, so dependencies
 * between them resolve together. Live node: apt-get/dnf (they pull OS dependencies). Simulated
 * root: debs go in for real with `dpkg --root`, maintainer scripts chrooted into it (confined);
 * rpms are recorded, not run, as every mutating command on a simulated root is.
 */
export async function installPackages(items: BakeArtifact[], root: Root, runner: CommandRunner): Promise<Map<BakeArtifact, InstallOutcome>> {
  const out = new Map<BakeArtifact, InstallOutcome>();
  const debs = items.filter((i) => i.spec.format === "deb");
  const rpms = items.filter((i) => i.spec.format === "rpm");
  const file = (i: BakeArtifact) => root.path(i.cachePath);
  if (debs.length) {
    if (root.live) {
      await runChecked(runner, ["apt-get", "install", "-y", "--no-install-recommends", ...debs.map(file)], {
        mutates: true,
        env: { DEBIAN_FRONTEND: "noninteractive" },
        timeoutMs: 30 * 60_000,
      });
      debs.forEach((i) => out.set(i, "installed"));
    } else {
      await initDpkgDatabase(root);
      // dpkg chroots into the root to run maintainer scripts, so a package's scripts change that tree
      // and never this machine (a root without /bin/sh fails clearly instead). --force-depends: a
      // bare root has no base system to satisfy the packages' dependencies.
      await runChecked(runner, [
        "dpkg", `--root=${root.dir}`, "--force-depends", `--log=${root.path("/var/log/dpkg.log")}`, "--install", ...debs.map(file),
      ]);
      debs.forEach((i) => out.set(i, "installed"));
    }
  }
  if (rpms.length) {
    const r = await runChecked(runner, ["dnf", "install", "-y", ...rpms.map(file)], { mutates: true, timeoutMs: 30 * 60_000 });
    rpms.forEach((i) => out.set(i, r.deferred ? "deferred" : "installed"));
  }
  return out;
}

/** dpkg --root needs its database skeleton; a real Ubuntu root already has it. */
async function initDpkgDatabase(root: Root): Promise<void> {
  const db = root.path("/var/lib/dpkg");
  for (const d of ["info", "updates", "triggers"]) await fs.mkdir(path.join(db, d), { recursive: true, mode: 0o755 });
  await fs.mkdir(root.path("/var/log"), { recursive: true, mode: 0o755 });
  for (const f of ["status", "available"]) {
    const h = await fs.open(path.join(db, f), "a");
    await h.close();
  }
}

/**
 * Unpacks a Quarto tarball into /opt/quarto/<version>, dropping its top directory. Extracts beside
 * the destination and renames it into place, so a failed extract never leaves a half tree that the
 * next bake would take as installed. Plain files under the root: done for real on any root.
 */
export async function installTarball(item: BakeArtifact, root: Root, runner: CommandRunner): Promise<InstallOutcome> {
  const dir = installDir(item.spec);
  if (!dir) throw new Error(`${item.spec.kind} is not a tarball artifact`);
  const dest = root.path(dir);
  const tmp = `${dest}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true, mode: 0o755 });
  try {
    await runChecked(runner, ["tar", "-xzf", root.path(item.cachePath), "-C", tmp, "--strip-components=1", "--no-same-owner"]);
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return "installed";
}
