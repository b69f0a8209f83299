import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { unitSettings, type UnitSetting } from "../../agent/engine/systemd.js";

export const UNITS_DIR = path.resolve("units");
/** Where the agent (and the rpm/deb) install the units; the verify root mirrors it. */
export const UNIT_INSTALL_DIR = "/usr/lib/systemd/system";
export const UNIT_SUFFIX = /\.(service|timer|socket|path|mount|target)$/;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** argv without a shell; resolves with the exit code instead of rejecting on failure. */
export function run(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const [cmd, ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      cmd!,
      args,
      { encoding: "utf8", env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        let code = 0;
        if (e) code = typeof e.code === "number" ? e.code : e.killed ? 124 : 127;
        resolve({ code, stdout, stderr: e && typeof e.code === "string" ? `${stderr}${e.message}` : stderr });
      },
    );
  });
}

/** A command on PATH (sbin included: root tools live there), or an Error that says which package gives it. */
export function findCommand(cmd: string, aptPackages: string): string {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"].filter(Boolean);
  for (const dir of dirs) {
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${cmd} is not installed: run \`apt-get install ${aptPackages}\` (these tests fail rather than skip without it)`);
}

/** The unit files shipped in units/ (the directory is enumerated, so a new unit is covered automatically). */
export async function shippedUnits(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(UNITS_DIR)).sort()) {
    if (UNIT_SUFFIX.test(name)) out[name] = await fs.readFile(path.join(UNITS_DIR, name), "utf8");
  }
  return out;
}

export { unitSettings };
export type Setting = UnitSetting;

/** The last value of Section.Key (systemd: the last assignment wins for single-valued keys). */
export function setting(text: string, section: string, key: string): string | undefined {
  return unitSettings(text).filter((s) => s.section === section && s.key === key).at(-1)?.value;
}

/**
 * A throwaway root for `systemd-analyze verify --root`: verify resolves every dependency
 * (sysinit.target, network-online.target, ...) and every ExecStart binary inside the root, so it
 * needs the host's full unit tree plus an executable at /usr/bin/pwb-agent. Verify only checks that
 * the binary exists and is executable; it never runs it, so a two-line script stands in for the SEA.
 */
export async function makeVerifyRoot(units: Record<string, string>, opts: { agentMode?: number } = {}): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-verify-"));
  const unitDir = path.join(root, UNIT_INSTALL_DIR);
  await fs.mkdir(unitDir, { recursive: true });
  // cp -a is ~6x faster than fs.cp here; /lib/systemd/system/. also works where /lib -> usr/lib.
  const cp = await run(["cp", "-a", "/lib/systemd/system/.", unitDir]);
  if (cp.code !== 0) throw new Error(`copying the host's unit tree failed: ${cp.stderr}`);
  for (const [name, text] of Object.entries(units)) await fs.writeFile(path.join(unitDir, name), text);
  const bin = path.join(root, "usr/bin/pwb-agent");
  await fs.mkdir(path.dirname(bin), { recursive: true });
  await fs.writeFile(bin, "#!/bin/sh\nexit 0\n");
  await fs.chmod(bin, opts.agentMode ?? 0o755);
  // Other commands the units run (ExecStartPre=+/bin/mkdir …) get the same stand-in where they
  // would be, if the host has them: a misspelled command stays missing.
  for (const cmd of execCommands(Object.values(units))) {
    const p = path.join(root, cmd);
    if (p === bin || !existsSync(cmd)) continue;
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  }
  return root;
}

/** The absolute paths of the commands units run (Exec*=, without systemd's "+-@!:" prefixes). */
function execCommands(texts: string[]): string[] {
  const out = new Set<string>();
  for (const t of texts) for (const s of unitSettings(t)) if (/^Exec/.test(s.key)) out.add(s.value.replace(/^[-+@!:]+/, "").split(/\s+/)[0]!);
  return [...out].filter((c) => c.startsWith("/"));
}

/** `systemd-analyze verify --root=ROOT /usr/lib/systemd/system/NAME...` */
export function verify(analyze: string, root: string, names: string[]): Promise<Run> {
  return run([analyze, "verify", `--root=${root}`, ...names.map((n) => path.posix.join(UNIT_INSTALL_DIR, n))]);
}

/** systemd's own parse of a time span (`systemd-analyze timespan`), in microseconds; null when it rejects it. */
export async function timespanUSec(analyze: string, value: string): Promise<number | null> {
  const r = await run([analyze, "timespan", value]);
  const m = /^\s*μs:\s*(\d+)\s*$/m.exec(r.stdout);
  return r.code === 0 && m ? Number(m[1]) : null;
}
