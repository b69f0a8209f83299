#!/usr/bin/env node
// `npm run package`: the rpm and the deb of the single executable, its systemd units, man page and
// changelog. Builds first (build.mjs skips an up-to-date executable) unless --skip-build.
//
//   node packaging/package.mjs [--out DIR] [--only rpm|deb] [--skip-build] [--release N] [--quiet]
//
// Needs rpmbuild (Debian: rpm) and dpkg-deb (dpkg). Packages are assembled in a work directory
// inside DIR and renamed into place, so DIR never holds a half-written package.
import { execFile as execFileCb, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants, promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { debianChangelog, parseChangelog, rpmChangelog } from "./lib/changelog.mjs";
import { renderManPageFor } from "./man/render.mjs";

const execFile = promisify(execFileCb);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SEA = path.join(ROOT, "dist", "pwb-agent");
const UNITS = path.join(ROOT, "units");
const NAME = "pwb-agent";
/** Placeholder identity until the project has a real maintainer address. */
const MAINTAINER = "pwb-agent developers <dev@pwb-agent.invalid>";
/** xz level for both packages: 2 is within ~15 % of 6 on this binary at a third of the time (2 cores). */
const XZ_LEVEL = "2";
const UNIT_FILE = /\.(service|timer|socket|path|target|mount)$/;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        out: { type: "string", default: path.join(ROOT, "dist", "packages") },
        only: { type: "string" },
        "skip-build": { type: "boolean", default: false },
        release: { type: "string", default: "1" },
        quiet: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${e.message}\nusage: node packaging/package.mjs [--out DIR] [--only rpm|deb] [--skip-build] [--release N] [--quiet]`);
    process.exit(2);
  }
}

const flags = parseFlags();
if (flags.only && !["rpm", "deb"].includes(flags.only)) {
  console.error(`--only: expected rpm or deb, got ${flags.only}`);
  process.exit(2);
}
if (!/^[1-9][0-9]*$/.test(flags.release)) {
  console.error(`--release: expected a positive integer, got ${flags.release}`);
  process.exit(2);
}
const say = flags.quiet ? () => {} : (msg) => console.log(msg);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Everything both packages carry, read and checked once. The executable is copied into `work` first:
 * a concurrent `npm run build` may replace dist/pwb-agent, and the man page must describe the very
 * binary that is packaged.
 */
async function gatherInputs(work) {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const releases = parseChangelog(await fs.readFile(path.join(ROOT, "CHANGELOG.md"), "utf8"));
  const newest = releases[0];
  if (newest.version !== pkg.version) {
    throw new Error(`CHANGELOG.md's newest release is ${newest.version} but package.json says ${pkg.version}: add a changelog entry`);
  }
  const exe = path.join(work, NAME);
  await place(SEA, exe, 0o755).catch((e) => {
    throw new Error(e.code === "ENOENT" ? "dist/pwb-agent is missing: run `npm run build` (or drop --skip-build)" : e.message);
  });
  // An executable whose blob did not take answers like plain node ("v24.x"): never package that.
  const { stdout } = await execFile(exe, ["--version"], { env: { PATH: process.env.PATH ?? "" } });
  if (stdout.trim() !== pkg.version) throw new Error(`dist/pwb-agent --version says ${JSON.stringify(stdout.trim())}, expected ${pkg.version}`);

  const units = (await fs.readdir(UNITS)).filter((f) => UNIT_FILE.test(f)).sort();
  // Every date in the packages is the release date: same inputs, same packages.
  const epoch = Math.floor(newest.date.getTime() / 1000);
  const man = gzipSync(await renderManPageFor(exe, { version: pkg.version, date: newest.date.toISOString().slice(0, 10) }), { level: 9 });
  return { exe, version: pkg.version, release: flags.release, releases, units, epoch, man };
}

async function run(cmd, args, opts = {}) {
  try {
    return await execFile(cmd, args, { maxBuffer: 16 << 20, ...opts });
  } catch (e) {
    if (e.code === "ENOENT") throw new Error(`${cmd} not found: install it (Debian: apt-get install ${cmd === "rpmbuild" ? "rpm" : "dpkg"})`);
    throw new Error(`${cmd} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** A copy (a reflink where the filesystem can): a hard link would let the mtime/mode fix-ups touch dist/. */
async function place(src, dest, mode) {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.copyFile(src, dest, fsConstants.COPYFILE_FICLONE);
  await fs.chmod(dest, mode);
}

async function write(dest, data, mode) {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.writeFile(dest, data);
  await fs.chmod(dest, mode);
}

/** Every directory 0755 and every mtime the release date, whatever the umask and clock. */
async function normalizeTree(dir, epoch) {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await fs.chmod(p, 0o755);
      await normalizeTree(p, epoch);
    }
    await fs.lutimes(p, epoch, epoch);
  }
  await fs.lutimes(dir, epoch, epoch);
}

async function buildDeb(inputs, work, outDir) {
  const t0 = performance.now();
  const root = path.join(work, "deb");
  const doc = path.join(root, "usr/share/doc", NAME);
  const sources = path.join(ROOT, "packaging", "deb");
  await place(inputs.exe, path.join(root, "usr/bin", NAME), 0o755);
  for (const u of inputs.units) await write(path.join(root, "usr/lib/systemd/system", u), await fs.readFile(path.join(UNITS, u)), 0o644);
  await write(path.join(root, "usr/share/man/man1", `${NAME}.1.gz`), inputs.man, 0o644);
  await write(path.join(doc, "changelog.gz"), gzipSync(await fs.readFile(path.join(ROOT, "CHANGELOG.md")), { level: 9 }), 0o644);
  const debChangelog = debianChangelog(inputs.releases, { name: NAME, maintainer: MAINTAINER, release: inputs.release });
  await write(path.join(doc, "changelog.Debian.gz"), gzipSync(debChangelog, { level: 9 }), 0o644);
  await write(path.join(doc, "copyright"), await fs.readFile(path.join(sources, "copyright")), 0o644);

  // md5sums (dpkg --verify) and Installed-Size (KiB, as dpkg-gencontrol counts: per file, rounded up).
  const files = [];
  const walk = async (dir) => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  await walk(path.join(root, "usr"));
  files.sort();
  let kib = 0;
  const sums = [];
  for (const f of files) {
    const data = await fs.readFile(f);
    kib += Math.ceil(data.length / 1024) || 1;
    sums.push(`${createHash("md5").update(data).digest("hex")}  ${path.relative(root, f)}`);
  }
  const control = (await fs.readFile(path.join(sources, "control.in"), "utf8"))
    .replace("@VERSION@", `${inputs.version}-${inputs.release}`)
    .replace("@MAINTAINER@", MAINTAINER)
    .replace("@INSTALLED_SIZE@", String(kib));
  await write(path.join(root, "DEBIAN/control"), control, 0o644);
  await write(path.join(root, "DEBIAN/md5sums"), sums.join("\n") + "\n", 0o644);
  for (const script of ["postinst", "prerm", "postrm"]) {
    await write(path.join(root, "DEBIAN", script), await fs.readFile(path.join(sources, script)), 0o755);
  }
  await normalizeTree(root, inputs.epoch);

  const file = `${NAME}_${inputs.version}-${inputs.release}_amd64.deb`;
  const tmp = path.join(work, file);
  await run("dpkg-deb", ["--root-owner-group", "-Zxz", `-z${XZ_LEVEL}`, "--build", root, tmp], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(inputs.epoch) },
  });
  await fs.rename(tmp, path.join(outDir, file));
  const size = (await fs.stat(path.join(outDir, file))).size;
  say(`deb  ${path.relative(process.cwd(), path.join(outDir, file))}  ${size.toLocaleString("en")} B (${mib(size)})  in ${secs(t0)}`);
}

async function buildRpm(inputs, work, outDir) {
  const t0 = performance.now();
  const top = path.join(work, "rpm");
  const src = path.join(top, "SOURCES");
  await place(inputs.exe, path.join(src, NAME), 0o755);
  await write(path.join(src, `${NAME}.1.gz`), inputs.man, 0o644);
  await write(path.join(src, "CHANGELOG.md"), await fs.readFile(path.join(ROOT, "CHANGELOG.md")), 0o644);
  for (const u of inputs.units) await write(path.join(src, "units", u), await fs.readFile(path.join(UNITS, u)), 0o644);
  await write(path.join(src, "units.files"), inputs.units.map((u) => `%attr(0644, root, root) %{_unitdir}/${u}`).join("\n") + "\n", 0o644);
  await write(path.join(src, "changelog.rpm"), rpmChangelog(inputs.releases, { maintainer: MAINTAINER, release: inputs.release }), 0o644);
  await normalizeTree(src, inputs.epoch);

  const define = (k, v) => ["--define", `${k} ${v}`];
  await run(
    "rpmbuild",
    [
      "-bb",
      "--quiet",
      "--target", "x86_64",
      ...define("_topdir", top),
      ...define("_tmppath", path.join(top, "tmp")),
      ...define("pwb_version", inputs.version),
      ...define("pwb_release", inputs.release),
      // Reproducible: build time and file times from the release date, a fixed build host.
      ...define("use_source_date_epoch_as_buildtime", "1"),
      ...define("clamp_mtime_to_source_date_epoch", "1"),
      ...define("_buildhost", "pwb-agent-build"),
      path.join(ROOT, "packaging", "rpm", `${NAME}.spec`),
    ],
    { env: { ...process.env, SOURCE_DATE_EPOCH: String(inputs.epoch) } },
  );
  const file = `${NAME}-${inputs.version}-${inputs.release}.x86_64.rpm`;
  await fs.rename(path.join(top, "RPMS", "x86_64", file), path.join(outDir, file));
  const size = (await fs.stat(path.join(outDir, file))).size;
  say(`rpm  ${path.relative(process.cwd(), path.join(outDir, file))}  ${size.toLocaleString("en")} B (${mib(size)})  in ${secs(t0)}`);
}

try {
  if (!flags["skip-build"]) {
    const r = spawnSync(process.execPath, [path.join(ROOT, "packaging", "build.mjs"), "--quiet"], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("the build failed");
  }
  const outDir = path.resolve(flags.out);
  await fs.mkdir(outDir, { recursive: true });
  const work = await fs.mkdtemp(path.join(outDir, ".work-"));
  try {
    const inputs = await gatherInputs(work);
    if (flags.only !== "rpm") await buildDeb(inputs, work, outDir);
    if (flags.only !== "deb") await buildRpm(inputs, work, outDir);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
} catch (e) {
  console.error(`package failed: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
}
