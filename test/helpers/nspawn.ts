// Boots a real systemd (PID 1 of its own PID namespace) with systemd-nspawn over the host's own
// /usr, so tests can run `systemctl` against a live manager on machines whose PID 1 is not systemd.
import { type ChildProcess, spawn } from "node:child_process";
import { promises as fs, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Run, findCommand, run } from "./systemd.js";

const PRESET = path.resolve("test/fixtures/systemd/00-pwb-test.preset");
/** What a unit started by systemd would see; nothing from vitest's environment leaks in. */
const CONTAINER_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", SYSTEMD_COLORS: "0" };
const OUTPUT_TAIL = 64 << 10;

export function requireNspawn(): { nspawn: string; nsenter: string } {
  const pkgs = "systemd-container util-linux";
  return { nspawn: findCommand("systemd-nspawn", pkgs), nsenter: findCommand("nsenter", pkgs) };
}

/** A machine name nothing else on the host uses (max 64 chars, hostname-safe). */
export function uniqueMachineName(tag: string): string {
  return `pwbt-${tag}-${process.pid}-${Date.now().toString(36)}`.slice(0, 64);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PIDs whose parent is `ppid` (from /proc/PID/stat: the 4th field, after the parenthesised comm). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** True once `pid` is PID 1 of a nested PID namespace and has exec'd systemd. */
export function isContainerInit(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]?.split(/\s+/) ?? [];
    return nspid.length >= 2 && nspid.at(-1) === "1" && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "systemd";
  } catch {
    return false;
  }
}

export class Container {
  private exited = false;
  private readonly exitPromise: Promise<void>;
  private readonly onProcessExit = () => this.killNow();
  output = "";
  /** The container's PID 1, as a host PID. */
  pid1 = 0;

  private constructor(
    readonly name: string,
    private readonly nsenter: string,
    private readonly proc: ChildProcess,
    private readonly scratch: string,
  ) {
    const keep = (b: Buffer) => (this.output = (this.output + b.toString()).slice(-OUTPUT_TAIL));
    // The console must be drained: a full pipe would block the container's output.
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    this.exitPromise = new Promise((resolve) => {
      const done = () => ((this.exited = true), resolve());
      proc.once("exit", done);
      proc.once("error", (e) => ((this.output += `\nspawn failed: ${e.message}`), done()));
    });
    // Last resort if the test process dies before afterAll: never leave a container behind.
    process.once("exit", this.onProcessExit);
  }

  /**
   * Boots `systemd-nspawn -D / --volatile=yes` and waits for the boot to finish.
   * --volatile=yes: / is a fresh tmpfs and /usr the host's (read-only) one. --volatile=overlay
   *   would give a writable host root, but nspawn refuses it for -D / ("Spawning container on root
   *   directory is not supported"), so /usr gets its own --overlay with the upper layer in a scratch
   *   dir: the agent can then write /usr/lib/systemd/system, and nothing reaches the host's /usr.
   * --register=no --keep-unit: there is no host D-Bus / machined to register with.
   * --private-network: loopback only; IMDS and AWS are unreachable, as they should be in a test.
   * systemd.mask=systemd-firstboot.service (PID 1 reads its argv as the kernel command line in a
   *   container): firstboot fails without a console and would leave the system "degraded".
   */
  static async boot(opts: { name: string; agentBinary: string; timeoutMs?: number }): Promise<Container> {
    const { nspawn, nsenter } = requireNspawn();
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-nspawn-"));
    await fs.mkdir(path.join(scratch, "usr-upper"));
    const argv = [
      "-D", "/", "--volatile=yes",
      `--overlay=/usr:${scratch}/usr-upper:/usr`,
      `--bind-ro=${opts.agentBinary}:/usr/bin/pwb-agent`,
      `--bind-ro=${PRESET}:/etc/systemd/system-preset/00-pwb-test.preset`,
      "--private-network", "--register=no", "--keep-unit",
      `--machine=${opts.name}`, "--console=pipe",
      "-b", "systemd.mask=systemd-firstboot.service",
    ];
    const proc = spawn(nspawn, argv, { stdio: ["ignore", "pipe", "pipe"] });
    const c = new Container(opts.name, nsenter, proc, scratch);
    try {
      await c.waitBooted(opts.timeoutMs ?? 30_000);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  private async waitBooted(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const fail = (why: string) => new Error(`container ${this.name}: ${why}\n--- nspawn output ---\n${this.output.slice(-4000)}`);
    while (!this.pid1) {
      if (this.exited) throw fail("systemd-nspawn exited during start-up");
      if (Date.now() > deadline) throw fail("no container PID 1 appeared");
      this.pid1 = childrenOf(this.proc.pid!).find(isContainerInit) ?? 0;
      if (!this.pid1) await sleep(50);
    }
    // `is-system-running --wait` needs D-Bus signals; polling works with systemd's private socket alone.
    let state = "";
    for (;;) {
      state = (await this.exec(["systemctl", "is-system-running"])).stdout.trim();
      if (state === "running" || state === "degraded") return;
      if (this.exited) throw fail(`systemd-nspawn exited while booting (state ${state})`);
      if (Date.now() > deadline) {
        const jobs = (await this.exec(["systemctl", "list-jobs", "--no-pager"])).stdout;
        throw fail(`boot did not finish in ${timeoutMs} ms (state "${state}")\n--- list-jobs ---\n${jobs}`);
      }
      await sleep(100);
    }
  }

  /** Runs argv inside the container (all its namespaces, its root and cwd) with a clean environment. */
  exec(argv: readonly string[], timeoutMs = 30_000): Promise<Run> {
    return run([this.nsenter, "-t", String(this.pid1), "-a", "--", ...argv], { env: CONTAINER_ENV, timeoutMs });
  }

  /**
   * A container path as seen from the host, through /proc/PID1/root. Fine for plain directories
   * (/etc, /usr/lib/...); an absolute symlink on the way would resolve against the HOST root.
   */
  hostPath(p: string): string {
    return path.posix.join(`/proc/${this.pid1}/root`, p);
  }

  async writeFile(p: string, text: string): Promise<void> {
    await fs.mkdir(path.dirname(this.hostPath(p)), { recursive: true });
    await fs.writeFile(this.hostPath(p), text);
  }

  readFile(p: string): Promise<string> {
    return fs.readFile(this.hostPath(p), "utf8");
  }

  private waitExit(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return Promise.race([this.exitPromise.then(() => true), sleep(ms).then(() => this.exited)]);
  }

  private killNow(): void {
    if (this.exited) return;
    // Killing a PID namespace's init kills everything in it; then nspawn has nothing left to wait for.
    for (const pid of [this.pid1, this.proc.pid]) {
      try {
        if (pid) process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }

  /** Clean poweroff; SIGTERM (nspawn turns it into a poweroff) and then SIGKILL if that hangs. */
  async stop(): Promise<void> {
    if (!this.exited && this.pid1) await this.exec(["systemctl", "poweroff", "--no-block"], 5_000);
    if (!(await this.waitExit(15_000))) {
      this.proc.kill("SIGTERM");
      if (!(await this.waitExit(5_000))) {
        this.killNow();
        await this.waitExit(5_000);
      }
    }
    process.removeListener("exit", this.onProcessExit);
    await fs.rm(this.scratch, { recursive: true, force: true });
  }
}
