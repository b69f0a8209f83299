#!/usr/bin/env node
// The bootable test node image: a Debian 13 (trixie) root built by mmdebstrap from the distribution's
// own packages (systemd as init, Slurm 24.11 and munge, PostgreSQL, Prometheus and its node exporter,
// a compiler and CMake, Python with pip and venv, R). It is NOT the demo's file-tree image (that one
// has stand-in binaries and cannot boot) and NOT a supported OS for users: its os-release says
// VARIANT_ID=pwb-test-node, and only the agent's tests boot it.
//
//   node test/live/image.mjs build [--force]   build unless cached; prints cold or cached time
//   node test/live/image.mjs path              the cached root's path (builds if absent)
//
// The cache lives outside the repository (a fresh clone on the same machine reuses it) under
// $PWB_TEST_IMAGE_CACHE or /var/cache/pwb-agent-test/images/<key>/, where <key> hashes this file
// (its package list and recipe): any change here builds a new image. A build goes to a temporary
// directory beside it and is renamed into place whole, so a reader never sees half an image.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
export const SUITE = "trixie";
/** What every test node has; distribution packages only (no fixtures). */
export const PACKAGES = [
  // init and the basics a node has
  "systemd", "systemd-sysv", "dbus", "procps", "iproute2", "curl", "ca-certificates", "less",
  // Slurm 24.11 and its authentication
  "slurmctld", "slurmd", "slurm-client", "libslurm-dev", "munge",
  // Workbench's database; metrics
  "postgresql", "prometheus", "prometheus-node-exporter",
  // builds (the SPANK plugin), Python, R
  "cmake", "make", "gcc", "g++", "python3", "python3-pip", "python3-venv", "r-base-core",
  // what the agent's .deb depends on (packaging/deb/control.in)
  "libc6", "libgcc-s1", "libstdc++6",
];
/**
 * Daemons the distribution enables at install that a node runs only in some roles: left disabled in
 * the image, as on an AMI, so each test enables what its role runs. The node exporter stays enabled:
 * every node runs it.
 */
export const DISABLED_UNITS = ["slurmctld.service", "slurmd.service", "munge.service", "postgresql.service", "prometheus.service"];
export const VARIANT = { VARIANT: "pwb-agent test node", VARIANT_ID: "pwb-test-node" };

export const cacheDir = () => process.env.PWB_TEST_IMAGE_CACHE || "/var/cache/pwb-agent-test/images";
/** The cache key: this file is the package list and the recipe. */
export const imageKey = () => createHash("sha256").update(readFileSync(SELF)).digest("hex").slice(0, 16);

const say = (msg) => process.stderr.write(`image: ${msg}\n`);

/** The host apt's Debian mirror and security URIs (deb822 .sources or one-line sources.list). */
export function aptMirrors(etc = "/etc/apt") {
  const uris = [];
  const files = [path.join(etc, "sources.list")];
  const dir = path.join(etc, "sources.list.d");
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(path.join(dir, f));
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        if (/^Enabled:\s*no\s*$/im.test(stanza) || !/^Types:.*\bdeb\b/im.test(stanza)) continue;
        const m = /^URIs:\s*(.+)$/im.exec(stanza);
        if (m) uris.push(...m[1].trim().split(/\s+/));
      }
    } else {
      for (const line of text.split("\n")) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
        if (m) uris.push(m[1]);
      }
    }
  }
  const clean = (u) => u.replace(/\/+$/, "");
  const mirror = uris.map(clean).find((u) => /^https?:\/\/[^/]+\/(.*\/)?debian$/.test(u));
  const security = uris.map(clean).find((u) => /^https?:\/\/[^/]+\/(.*\/)?debian-security$/.test(u));
  if (!mirror) throw new Error(`no Debian mirror (a URI ending in /debian) in ${files.join(", ")}: the test image is built from the mirror apt already uses`);
  return { mirror, security: security ?? null };
}

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error?.code === "ENOENT") throw new Error(`${argv[0]} is missing: install with  apt-get install ${opts.pkg ?? argv[0]}`);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (rc ${r.status}):\n${(r.stderr ?? "").slice(-6000)}`);
  return r.stdout ?? "";
}

/** Appends the variant to the image's os-release (ID and VERSION_ID stay Debian's). */
function markOsRelease(root) {
  const file = path.join(root, "usr/lib/os-release");
  const kept = readFileSync(file, "utf8").split("\n").filter((l) => l && !/^VARIANT(_ID)?=/.test(l));
  const lines = Object.entries(VARIANT).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  writeFileSync(file, `${[...kept, ...lines].join("\n")}\n`);
}

/** The recipe after mmdebstrap: what makes the root boot cleanly under systemd-nspawn. */
function customize(root) {
  markOsRelease(root);
  // First boot would ask questions on a console nobody reads; the machine-id comes from nspawn.
  const mask = (unit) => {
    const link = path.join(root, "etc/systemd/system", unit);
    rmSync(link, { force: true });
    run(["ln", "-s", "/dev/null", link]);
  };
  mask("systemd-firstboot.service");
  // A container has no consoles to log in on; nothing waits for them.
  mask("console-getty.service");
  run(["systemctl", `--root=${root}`, "disable", "--no-reload", ...DISABLED_UNITS], { pkg: "systemd" });
  writeFileSync(path.join(root, "etc/hostname"), "pwb-test-node\n");
}

/** A lock file holding the builder's PID; a stale one (its PID gone) is taken over. */
async function withLock(lock, fn) {
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lock, "utf8") || 0);
      let alive = false;
      try {
        alive = pid > 0 && (process.kill(pid, 0), true);
      } catch {
        alive = false;
      }
      if (!alive) rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Keeps the `keep` most recently used images (each is hundreds of MiB), removes older ones. */
function prune(dir, keep = 3) {
  const images = readdirSync(dir)
    .filter((n) => /^[0-9a-f]{16}$/.test(n))
    .map((n) => ({ n, t: statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of images.slice(keep)) rmSync(path.join(dir, n), { recursive: true, force: true });
}

function build(dir, key) {
  const { mirror, security } = aptMirrors();
  const tmp = path.join(dir, `.build-${key}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const root = path.join(tmp, "root");
  const t0 = performance.now();
  const sources = [`deb ${mirror} ${SUITE} main`, `deb ${mirror} ${SUITE}-updates main`];
  if (security) sources.push(`deb ${security} ${SUITE}-security main`);
  say(`building ${SUITE} from ${mirror} into ${dir}/${key} (${PACKAGES.length} packages and their dependencies)`);
  try {
    run(
      [
        "mmdebstrap", "--mode=root", "--variant=minbase", "--format=directory", "--quiet",
        `--include=${PACKAGES.join(",")}`,
        // The archive keys of the host's keyring package (debian-archive-keyring has every release's).
        "--keyring=/usr/share/keyrings/debian-archive-keyring.gpg",
        SUITE, root, ...sources,
      ],
      { pkg: "mmdebstrap", stdio: ["ignore", "pipe", "pipe"] },
    );
    customize(root);
    const dpkg = run(["dpkg-query", `--admindir=${root}/var/lib/dpkg`, "-W", "-f", "${Package} ${Version}\\n"]);
    const buildMs = Math.round(performance.now() - t0);
    const manifest = { key, suite: SUITE, mirror, security, packages: PACKAGES, builtAt: new Date().toISOString(), buildMs, installed: dpkg.trim().split("\n") };
    writeFileSync(path.join(tmp, "image.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(tmp, path.join(dir, key));
    return buildMs;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The cached image for this recipe, built first when absent. Returns its root directory (never boot
 * it directly: boot an overlay over it, see test/helpers/live-node.ts), its manifest and how long
 * this call took (`cached` false when it built).
 */
export async function ensureImage({ force = false } = {}) {
  if (process.getuid?.() !== 0) throw new Error("building the test node image needs root (mmdebstrap --mode=root)");
  const dir = cacheDir();
  const key = imageKey();
  const final = path.join(dir, key);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  let cached = true;
  await withLock(path.join(dir, ".lock"), async () => {
    if (force) rmSync(final, { recursive: true, force: true });
    if (!existsSync(path.join(final, "image.json"))) {
      cached = false;
      build(dir, key);
      prune(dir);
    }
  });
  const now = new Date();
  utimesSync(final, now, now);
  const manifest = JSON.parse(readFileSync(path.join(final, "image.json"), "utf8"));
  return { root: path.join(final, "root"), dir: final, key, manifest, cached, ms: Math.round(performance.now() - t0) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== "build" && cmd !== "path") {
    console.error("usage: node test/live/image.mjs build [--force] | path");
    process.exit(2);
  }
  try {
    const img = await ensureImage({ force: rest.includes("--force") });
    if (cmd === "path") console.log(img.root);
    else console.log(`${img.cached ? "cached" : "cold"} image ${img.key}: ${(img.ms / 1000).toFixed(1)} s (${img.manifest.installed.length} packages) at ${img.root}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
