// `npm run package` end to end: builds the rpm and the deb from the built single executable, then
// inspects them the way an administrator's tools do (dpkg-deb -c, rpm -qp), installs each into a
// throwaway root and runs the binary from there. The build is not run here: `npm test` builds first.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_UNITS } from "../../agent/components/units/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const VERSION: string = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
const DEB = `pwb-agent_${VERSION}-1_amd64.deb`;
const RPM = `pwb-agent-${VERSION}-1.x86_64.rpm`;
const UNIT_DIR = "/usr/lib/systemd/system";
const UNITS = Object.keys(EMBEDDED_UNITS).sort();
const isRoot = process.getuid?.() === 0;

let scratch = "";
let out = "";
let packagingError = "";
let packagingSeconds = 0;

function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function ok(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Every test calls this first, so a failed build fails each test with the reason (not a skip). */
function built(): { deb: string; rpm: string } {
  if (packagingError) throw new Error(packagingError);
  return { deb: path.join(out, DEB), rpm: path.join(out, RPM) };
}

/** Runs an extracted executable with nothing but an empty PATH: only its embedded Node can run it. */
function runIsolated(exe: string, args: string[]) {
  const empty = path.join(scratch, "empty-path");
  mkdirSync(empty, { recursive: true });
  return sh(exe, args, { env: { PATH: empty } });
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

type Entry = { type: "d" | "-"; mode: string; owner: string };

/** What both packages must hold, beyond the directories: path → mode. */
const FILES: Record<string, string> = {
  "/usr/bin/pwb-agent": "rwxr-xr-x",
  ...Object.fromEntries(UNITS.map((u) => [`${UNIT_DIR}/${u}`, "rw-r--r--"])),
  "/usr/share/man/man1/pwb-agent.1.gz": "rw-r--r--",
};

describe("rpm and deb packages", () => {
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), "pwb-packaging-test-"));
    out = path.join(scratch, "out");
    const missing = ["rpmbuild", "dpkg-deb"].filter((c) => sh("sh", ["-c", 'command -v "$0"', c]).code !== 0);
    if (missing.length) {
      packagingError = `${missing.join(", ")} missing: apt-get install rpm dpkg`;
      return;
    }
    if (!existsSync(path.join(ROOT, "dist", "pwb-agent"))) {
      packagingError = "dist/pwb-agent is missing: run `npm run build` first (npm test does)";
      return;
    }
    const t0 = performance.now();
    const r = sh(process.execPath, ["packaging/package.mjs", "--skip-build", "--quiet", "--out", out], { cwd: ROOT, timeout: 280_000 });
    packagingSeconds = (performance.now() - t0) / 1000;
    if (r.code !== 0) packagingError = `npm run package failed (${r.code}): ${r.stderr}${r.stdout}`;
  }, 300_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("builds exactly one rpm and one deb, and leaves no work files behind", () => {
    built();
    expect(readdirSync(out).sort()).toEqual([RPM, DEB].sort());
    // Informational: shows up in the test log next to the package sizes.
    console.info(`packaged in ${packagingSeconds.toFixed(1)} s`);
  });

  it("deb: exactly the expected files and directories, modes and owners (dpkg-deb -c)", () => {
    const { deb } = built();
    const entries = new Map<string, Entry>();
    for (const line of ok("dpkg-deb", ["-c", deb]).trim().split("\n")) {
      // drwxr-xr-x root/root         0 2026-11-22 00:00 ./usr/
      const m = /^([d-])(\S{9}) (\S+)\s+\d+ \S+ \S+ \.(\/.*?)\/?$/.exec(line);
      expect(m, line).not.toBeNull();
      entries.set(m![4] || "/", { type: m![1] as Entry["type"], mode: m![2]!, owner: m![3]! });
    }
    const expected: Record<string, string> = {
      ...FILES,
      "/usr/share/doc/pwb-agent/changelog.gz": "rw-r--r--",
      "/usr/share/doc/pwb-agent/changelog.Debian.gz": "rw-r--r--",
      "/usr/share/doc/pwb-agent/copyright": "rw-r--r--",
    };
    const dirs = new Set<string>(["/"]);
    for (const f of Object.keys(expected)) for (let d = path.dirname(f); d !== "/"; d = path.dirname(d)) dirs.add(d);
    expect([...entries.keys()].sort()).toEqual([...dirs, ...Object.keys(expected)].sort());
    for (const [p, e] of entries) {
      expect(e.owner, p).toBe("root/root");
      if (dirs.has(p)) expect(`${e.type}${e.mode}`, p).toBe("drwxr-xr-x");
      else expect(`${e.type}${e.mode}`, p).toBe(`-${expected[p]}`);
    }
  });

  it("rpm: exactly the expected files, modes and owners; owns only its own doc directory (rpm -qp)", () => {
    const { rpm } = built();
    const qf = "[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]";
    const entries = new Map<string, Entry>();
    for (const line of ok("rpm", ["-qp", "--queryformat", qf, rpm]).trim().split("\n")) {
      const m = /^([d-])(\S{9}) (\S+) (\/.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      entries.set(m![4]!, { type: m![1] as Entry["type"], mode: m![2]!, owner: m![3]! });
    }
    const expected: Record<string, string> = { ...FILES, "/usr/share/doc/pwb-agent/CHANGELOG.md": "rw-r--r--" };
    // rpm lists only what the package owns: never /usr/bin or the systemd unit directory itself.
    expect([...entries.keys()].sort()).toEqual(["/usr/share/doc/pwb-agent", ...Object.keys(expected)].sort());
    for (const [p, e] of entries) {
      expect(e.owner, p).toBe("root:root");
      expect(`${e.type}${e.mode}`, p).toBe(p === "/usr/share/doc/pwb-agent" ? "drwxr-xr-x" : `-${expected[p]}`);
    }
    // rpm -qlp agrees (the tool the issue names).
    expect(ok("rpm", ["-qlp", rpm]).trim().split("\n").sort()).toEqual([...entries.keys()].sort());
  });

  describe("installed into throwaway roots", () => {
    let debRoot = "";
    let rpmRoot = "";

    beforeAll(() => {
      if (packagingError) return;
      // dpkg-deb -x needs no privileges: the tree every later check reads.
      debRoot = path.join(scratch, "deb-x");
      ok("dpkg-deb", ["-x", path.join(out, DEB), debRoot]);
      rpmRoot = path.join(scratch, "rpm-root");
      mkdirSync(rpmRoot);
      ok("rpm", ["--root", rpmRoot, "--initdb"]);
      // --noscripts: scriptlets would run chrooted into a root with no /bin/sh; they are tested below.
      ok("rpm", ["--root", rpmRoot, "-i", "--nodeps", "--noscripts", path.join(out, RPM)]);
    }, 120_000);

    it("the executable survived packaging: it runs from both roots as the single executable (no Node on PATH)", () => {
      built();
      for (const root of [debRoot, rpmRoot]) {
        const exe = path.join(root, "usr/bin/pwb-agent");
        const r = runIsolated(exe, ["version", "--json"]);
        expect(r.code, `${exe}: ${r.stderr}`).toBe(0);
        // A stripped-after-injection binary is plain node: `version` would be a missing script, not JSON.
        expect(JSON.parse(r.stdout)).toMatchObject({ version: VERSION, sea: true });
        expect(runIsolated(exe, ["--version"]).stdout.trim()).toBe(VERSION);
      }
      expect(sha256(path.join(debRoot, "usr/bin/pwb-agent"))).toBe(sha256(path.join(rpmRoot, "usr/bin/pwb-agent")));
    });

    it("rpm --verify finds every installed file intact (digests, modes, owners)", () => {
      built();
      const r = sh("rpm", ["--root", rpmRoot, "-V", "--nodeps", "pwb-agent"]);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.code).toBe(0);
    });

    it("both carry the units the binary embeds, byte for byte, under the unit dir", () => {
      built();
      for (const root of [debRoot, rpmRoot]) {
        expect(readdirSync(path.join(root, UNIT_DIR)).sort()).toEqual(UNITS);
        for (const u of UNITS) expect(readFileSync(path.join(root, UNIT_DIR, u), "utf8"), u).toBe(EMBEDDED_UNITS[u]);
      }
    });

    it.skipIf(!isRoot)("deb: dpkg --root installs it (scripts chrootless), dpkg --verify agrees, dpkg -r removes it cleanly", () => {
      built();
      const root = path.join(scratch, "dpkg-root");
      for (const d of ["var/lib/dpkg/info", "var/lib/dpkg/updates"]) mkdirSync(path.join(root, d), { recursive: true });
      writeFileSync(path.join(root, "var/lib/dpkg/status"), "");
      const dpkg = ["--root", root, "--log=/dev/null", "--force-script-chrootless"];
      // libc6 & co. are not in the empty root's database: --force-depends for that alone.
      ok("dpkg", [...dpkg, "--force-depends", "-i", path.join(out, DEB)]);
      expect(sh("dpkg", [...dpkg, "-V", "pwb-agent"]).stdout).toBe("");
      expect(ok("dpkg-query", ["--admindir", path.join(root, "var/lib/dpkg"), "-W", "-f", "${Status} ${Version}", "pwb-agent"])).toBe(`install ok installed ${VERSION}-1`);
      expect(JSON.parse(runIsolated(path.join(root, "usr/bin/pwb-agent"), ["version", "--json"]).stdout)).toMatchObject({ sea: true });
      ok("dpkg", [...dpkg, "--force-depends", "-P", "pwb-agent"]);
      for (const f of Object.keys(FILES)) expect(existsSync(path.join(root, f)), f).toBe(false);
    });

    it("the man page renders without groff warnings and documents every command", () => {
      built();
      const page = gunzipSync(readFileSync(path.join(debRoot, "usr/share/man/man1/pwb-agent.1.gz"))).toString("utf8");
      expect(readFileSync(path.join(rpmRoot, "usr/share/man/man1/pwb-agent.1.gz"))).toEqual(readFileSync(path.join(debRoot, "usr/share/man/man1/pwb-agent.1.gz")));
      const file = path.join(scratch, "pwb-agent.1");
      writeFileSync(file, page);
      const r = sh("groff", ["-man", "-Tutf8", "-ww", "-z", file]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(page).toContain(`"pwb-agent ${VERSION}"`);
      const help = runIsolated(path.join(debRoot, "usr/bin/pwb-agent"), ["--help"]).stdout;
      const commands = [...help.split("Commands:")[1]!.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
      expect(commands.length).toBeGreaterThan(5);
      for (const c of commands) expect(page, c).toContain(`.SS "pwb\\-agent ${c.replace(/-/g, "\\-")}`);
    });

    it("changelogs: the Debian one parses with the right version, the rpm one is the same release", () => {
      built();
      const changelog = path.join(scratch, "changelog.Debian");
      writeFileSync(changelog, gunzipSync(readFileSync(path.join(debRoot, "usr/share/doc/pwb-agent/changelog.Debian.gz"))));
      const parsed = sh("dpkg-parsechangelog", ["-l", changelog, "--show-field", "Version"]);
      if (parsed.code === 127 || /ENOENT/.test(parsed.stderr)) throw new Error("dpkg-parsechangelog missing: apt-get install dpkg-dev");
      expect(parsed.stdout.trim()).toBe(`${VERSION}-1`);
      const rpmLog = ok("rpm", ["-qp", "--changelog", path.join(out, RPM)]);
      expect(rpmLog.split("\n")[0]).toMatch(new RegExp(`^\\* \\w{3} \\w{3} \\d{2} \\d{4} .+ - ${VERSION.replace(/\./g, "\\.")}-1$`));
      expect(readFileSync(path.join(rpmRoot, "usr/share/doc/pwb-agent/CHANGELOG.md"), "utf8")).toBe(readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"));
    });

    it("declared dependencies cover every shared library the executable links, and glibc 2.28 is enough", () => {
      built();
      const exe = path.join(debRoot, "usr/bin/pwb-agent");
      const needed = [...ok("readelf", ["-d", exe]).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
      // soname → [deb package, rpm package]
      const provider: Record<string, [string, string]> = {
        "libc.so.6": ["libc6", "glibc"], "libm.so.6": ["libc6", "glibc"], "libdl.so.2": ["libc6", "glibc"],
        "libpthread.so.0": ["libc6", "glibc"], "ld-linux-x86-64.so.2": ["libc6", "glibc"], "librt.so.1": ["libc6", "glibc"],
        "libstdc++.so.6": ["libstdc++6", "libstdc++"], "libgcc_s.so.1": ["libgcc-s1", "libgcc"],
      };
      const control = ok("dpkg-deb", ["-f", path.join(out, DEB), "Depends"]);
      const requires = ok("rpm", ["-qp", "--requires", path.join(out, RPM)]);
      for (const lib of needed) {
        expect(provider[lib], `${lib} has no known provider: declare it in packaging/deb/control.in and the spec`).toBeDefined();
        expect(control).toContain(provider[lib]![0]);
        expect(requires).toContain(provider[lib]![1]);
      }
      // The newest glibc symbol version the binary uses is what "glibc >= 2.28" promises.
      const glibc = [...ok("objdump", ["-T", exe]).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
      expect(Math.max(...glibc)).toBeLessThanOrEqual(2028);
      expect(control).toContain("libc6 (>= 2.28)");
      expect(requires).toContain("glibc >= 2.28");
    });
  });

  describe("maintainer scripts reload systemd and enable nothing", () => {
    /**
     * Runs a maintainer script with a fake `systemctl` that records its argv, in a private mount
     * namespace whose /run says whether systemd "runs" (/run/systemd/system). Returns the calls.
     */
    function runScript(script: string, args: string[], o: { systemdRunning: boolean; env?: Record<string, string> }): string[] {
      const dir = mkdtempSync(path.join(scratch, "script-"));
      const bin = path.join(dir, "bin");
      mkdirSync(bin);
      const log = path.join(dir, "calls");
      writeFileSync(log, "");
      writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> '${log}'\n`);
      chmodSync(path.join(bin, "systemctl"), 0o755);
      writeFileSync(path.join(dir, "script"), script);
      const setup = `mount -t tmpfs none /run && ${o.systemdRunning ? "mkdir -p /run/systemd/system && " : ""}exec sh "$0" "$@"`;
      const r = sh("unshare", ["-Urm", "sh", "-c", setup, path.join(dir, "script"), ...args], {
        env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, ...o.env },
      });
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(log, "utf8").split("\n").filter(Boolean);
    }

    function debScript(name: string): string {
      const dir = path.join(scratch, "deb-control");
      if (!existsSync(dir)) ok("dpkg-deb", ["-e", built().deb, dir]);
      return readFileSync(path.join(dir, name), "utf8");
    }

    function rpmScript(tag: "POSTIN" | "PREUN" | "POSTUN"): string {
      return ok("rpm", ["-qp", "--queryformat", `%{${tag}}`, built().rpm]);
    }

    it("deb postinst: only daemon-reload, only when systemd runs and not under DPKG_ROOT", () => {
      const postinst = debScript("postinst");
      expect(runScript(postinst, ["configure", ""], { systemdRunning: true })).toEqual(["daemon-reload"]);
      expect(runScript(postinst, ["configure", ""], { systemdRunning: false })).toEqual([]);
      expect(runScript(postinst, ["configure", ""], { systemdRunning: true, env: { DPKG_ROOT: "/tmp/image" } })).toEqual([]);
    });

    it("deb prerm/postrm: disable --now on removal only, never on upgrade; reload after removal", () => {
      const prerm = debScript("prerm");
      expect(runScript(prerm, ["upgrade", "0.1.1-1"], { systemdRunning: true })).toEqual([]);
      expect(runScript(prerm, ["remove"], { systemdRunning: true })).toEqual(["--no-reload disable --now pwb-alb-sync.timer pwb-agent-doctor.timer pwb-agent.service"]);
      expect(runScript(prerm, ["remove"], { systemdRunning: false, env: { DPKG_ROOT: "/tmp/image" } })).toEqual([
        "--root=/tmp/image --no-reload disable pwb-alb-sync.timer pwb-agent-doctor.timer pwb-agent.service",
      ]);
      const postrm = debScript("postrm");
      expect(runScript(postrm, ["upgrade", "0.1.1-1"], { systemdRunning: true })).toEqual([]);
      expect(runScript(postrm, ["remove"], { systemdRunning: true })).toEqual(["daemon-reload"]);
    });

    it("rpm %post/%preun/%postun: the same rules ($1 = installed count)", () => {
      expect(runScript(rpmScript("POSTIN"), ["1"], { systemdRunning: true })).toEqual(["daemon-reload"]);
      expect(runScript(rpmScript("POSTIN"), ["2"], { systemdRunning: false })).toEqual([]);
      expect(runScript(rpmScript("PREUN"), ["1"], { systemdRunning: true })).toEqual([]);
      expect(runScript(rpmScript("PREUN"), ["0"], { systemdRunning: true })).toEqual(["--no-reload disable --now pwb-alb-sync.timer pwb-agent-doctor.timer pwb-agent.service"]);
      expect(runScript(rpmScript("POSTUN"), ["0"], { systemdRunning: true })).toEqual(["daemon-reload"]);
    });

    it("every maintainer script passes shellcheck", () => {
      if (sh("sh", ["-c", "command -v shellcheck"]).code !== 0) throw new Error("shellcheck missing: apt-get install shellcheck");
      const scripts: Record<string, string> = {
        postinst: debScript("postinst"), prerm: debScript("prerm"), postrm: debScript("postrm"),
        "%post": rpmScript("POSTIN"), "%preun": rpmScript("PREUN"), "%postun": rpmScript("POSTUN"),
      };
      for (const [name, text] of Object.entries(scripts)) {
        const file = path.join(scratch, `sc-${name.replace("%", "rpm-")}`);
        // rpm scriptlets have no shebang: rpm runs them with /bin/sh.
        writeFileSync(file, text.startsWith("#!") ? text : `#!/bin/sh\n${text}\n`);
        const r = sh("shellcheck", ["-s", "sh", file]);
        expect(r.stdout, name).toBe("");
        expect(r.code, name).toBe(0);
      }
    });
  });
});
