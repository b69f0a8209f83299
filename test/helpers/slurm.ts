import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { promises as fs, openSync, closeSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/*
 * A real Slurm on loopback for tests (Debian's slurm-wlm 22.05 + munge; no systemd): munged,
 * slurmctld and slurmd run as children of the test process, each with a private config, spool,
 * state, sockets and logs under one directory, on ports picked free at start. `stop()` ends every
 * daemon it started, by PID (call it from afterAll; it is safe to call twice or after a failed start).
 */

export const SLURM_PACKAGES = "slurm-wlm munge libslurm-dev";

export function slurmAvailable(): string | null {
  for (const cmd of ["munged", "mungekey", "slurmctld", "slurmd", "srun", "sinfo"]) {
    if (spawnSync("sh", ["-c", 'command -v "$0"', cmd]).status !== 0) return `${cmd} is missing: apt-get install ${SLURM_PACKAGES}`;
  }
  if (process.getuid?.() !== 0) return "the loopback Slurm runs its daemons as root";
  return null;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, "close");
  return port;
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, logs: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${await logs()}`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface SlurmOptions {
  /** Everything (config, spool, logs, sockets) goes under here. */
  dir: string;
  /** PlugStackConfig=: where the component under test registers plugins. */
  plugstack: string;
  nodeName?: string;
  /** Slurm's job completion plugin (default jobcomp/none), e.g. { type: "jobcomp/script", loc: "/path/script" }. */
  jobComp?: { type: string; loc: string };
}

export class LoopbackSlurm {
  readonly conf: string;
  readonly nodeName: string;
  private readonly children = new Map<string, ChildProcess>();

  private constructor(readonly dir: string, private readonly o: SlurmOptions, private readonly ports: { ctld: number; slurmd: number }) {
    this.conf = path.join(dir, "etc", "slurm.conf");
    this.nodeName = o.nodeName ?? "pwbnode";
  }

  static async start(o: SlurmOptions): Promise<LoopbackSlurm> {
    const [ctld, slurmd] = (await freePorts(2)) as [number, number];
    const s = new LoopbackSlurm(o.dir, o, { ctld, slurmd });
    try {
      await s.writeConfig();
      await s.startMunge();
      s.spawnDaemon("slurmctld", ["slurmctld", "-D", "-i", "-f", s.conf]);
      s.spawnDaemon("slurmd", ["slurmd", "-D", "-N", s.nodeName, "-f", s.conf]);
      await s.waitIdle();
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  /** Environment for Slurm clients (srun, sbatch, sinfo) talking to this cluster. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, SLURM_CONF: this.conf, ...extra };
  }

  private p(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  private async writeConfig(): Promise<void> {
    for (const d of ["etc", "munge", "spool/ctld", "spool/d", "run", "log"]) await fs.mkdir(this.p(d), { recursive: true });
    // munged wants every directory above its socket searchable by all (job users talk to it).
    await fs.chmod(this.dir, 0o755);
    await fs.chmod(this.p("munge"), 0o755);
    const host = os.hostname().split(".")[0]!;
    const conf = [
      `ClusterName=pwbtest${this.ports.ctld}`,
      `SlurmctldHost=${host}(127.0.0.1)`,
      "SlurmUser=root",
      "SlurmdUser=root",
      `SlurmctldPort=${this.ports.ctld}`,
      `SlurmdPort=${this.ports.slurmd}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${this.p("munge", "munge.sock")}`,
      `StateSaveLocation=${this.p("spool", "ctld")}`,
      `SlurmdSpoolDir=${this.p("spool", "d")}`,
      `SlurmctldPidFile=${this.p("run", "slurmctld.pid")}`,
      `SlurmdPidFile=${this.p("run", "slurmd.pid")}`,
      `SlurmctldLogFile=${this.p("log", "slurmctld.log")}`,
      `SlurmdLogFile=${this.p("log", "slurmd.log")}`,
      `PlugStackConfig=${this.o.plugstack}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      `JobCompType=${this.o.jobComp?.type ?? "jobcomp/none"}`,
      ...(this.o.jobComp ? [`JobCompLoc=${this.o.jobComp.loc}`] : []),
      "MailProg=/bin/true",
      "SchedulerType=sched/backfill",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "ReturnToService=2",
      "MpiDefault=none",
      `NodeName=${this.nodeName} NodeHostname=${host} NodeAddr=127.0.0.1 CPUs=${Math.min(os.cpus().length, 2)} RealMemory=500 State=UNKNOWN`,
      `PartitionName=debug Nodes=${this.nodeName} Default=YES MaxTime=INFINITE State=UP`,
    ];
    await fs.writeFile(this.conf, conf.join("\n") + "\n");
  }

  private async startMunge(): Promise<void> {
    const key = this.p("munge", "munge.key");
    const made = spawnSync("mungekey", ["--create", `--keyfile=${key}`], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`mungekey failed: ${made.stderr}`);
    this.spawnDaemon("munged", [
      "munged", "-F", `--socket=${this.p("munge", "munge.sock")}`, `--key-file=${key}`,
      `--log-file=${this.p("log", "munged.log")}`, `--pid-file=${this.p("run", "munged.pid")}`, `--seed-file=${this.p("munge", "munge.seed")}`,
    ]);
    await waitFor("munged", () => fs.stat(this.p("munge", "munge.sock")).then(() => true, () => false), 5000, () => this.logs());
  }

  private spawnDaemon(name: string, argv: string[]): void {
    const out = openSync(this.p("log", `${name}.out`), "a");
    try {
      const child = spawn(argv[0]!, argv.slice(1), { env: this.env(), stdio: ["ignore", out, out] });
      this.children.set(name, child);
    } finally {
      closeSync(out);
    }
  }

  /** PID of a running daemon this helper started. */
  pid(name: "munged" | "slurmctld" | "slurmd"): number | undefined {
    return this.children.get(name)?.pid;
  }

  private async waitIdle(): Promise<void> {
    // The controller may still call the node idle while a restarted slurmd is not listening yet.
    await waitFor(`slurmd on port ${this.ports.slurmd}`, () => portOpen(this.ports.slurmd), 15_000, () => this.logs());
    await waitFor(
      `node ${this.nodeName} to be idle`,
      () => {
        const r = spawnSync("sinfo", ["-h", "-n", this.nodeName, "-o", "%T"], { env: this.env(), encoding: "utf8" });
        return r.status === 0 && r.stdout.trim() === "idle";
      },
      15_000,
      () => this.logs(),
    );
  }

  /** What `systemctl restart slurmd` does on a node: stop it, start it, wait until the node is back. */
  async restartSlurmd(): Promise<void> {
    await this.stopDaemon("slurmd");
    this.spawnDaemon("slurmd", ["slurmd", "-D", "-N", this.nodeName, "-f", this.conf]);
    await this.waitIdle();
  }

  private async stopDaemon(name: string): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops every daemon it started (slurmd, then slurmctld, then munged). */
  async stop(): Promise<void> {
    for (const name of ["slurmd", "slurmctld", "munged"]) await this.stopDaemon(name);
  }

  async logs(): Promise<string> {
    const parts: string[] = [];
    for (const f of ["slurmctld.log", "slurmd.log", "munged.log", "slurmctld.out", "slurmd.out", "munged.out"]) {
      const text = await fs.readFile(this.p("log", f), "utf8").catch(() => "");
      if (text) parts.push(`--- ${f} (last lines)\n${text.split("\n").slice(-15).join("\n")}`);
    }
    return parts.join("\n");
  }
}

/** Our small SPANK plugin with the real one's build interface (test/fixtures/spank-plugin). */
export const SPANK_FIXTURE = "test/fixtures/spank-plugin";

/**
 * The work directory a real-Slurm SPANK test builds in: `<work>/slurm/include` (a copy of this
 * machine's Slurm headers, so a test may change their version) and the fixture plugin's source
 * packed as GitHub serves a tag (one top-level directory). Fails saying what to install when Slurm
 * is missing. Returns the directory (searchable by all: munged insists) and the archive's bytes.
 */
export async function spankWorkDir(makeDir: (prefix: string) => Promise<string>, prefix: string): Promise<{ work: string; archive: Buffer }> {
  const missing = slurmAvailable();
  if (missing) throw new Error(`the real-Slurm tests need Slurm: ${missing}`);
  const work = await makeDir(prefix);
  await fs.chmod(work, 0o755); // munged wants every directory above its socket searchable by all
  await fs.mkdir(path.join(work, "slurm", "include"), { recursive: true });
  await fs.cp("/usr/include/slurm", path.join(work, "slurm", "include", "slurm"), { recursive: true });
  const file = path.join(work, "slurm-singularity-exec-1.0.0.tar.gz");
  const name = path.basename(SPANK_FIXTURE);
  const tar = spawnSync("tar", ["-czf", file, "-C", path.dirname(SPANK_FIXTURE), "--transform", `s,^${name},slurm-singularity-exec-1.0.0,`, name]);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  return { work, archive: await fs.readFile(file) };
}
