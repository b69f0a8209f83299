// Live test nodes: copies of the bootable Debian 13 test image (test/live/image.mjs), each booted by
// systemd-nspawn with a real systemd as PID 1, on a private network of their own.
//
// API
//   const cluster = new LiveCluster((await ensureImage()).root);  // test/live/image.mjs; afterAll: remove()
//   const home = await cluster.sharedDir("home"); // a host directory several nodes bind (EFS/FSx stand-in)
//   const head = await cluster.boot({
//     name: "head",                               // hostname; nodes reach each other by name (/etc/hosts)
//     files: { "/etc/chef/dna.json": json },      // placed in the node's layer before it boots
//     binds: [{ host: home, node: "/home" }],     // --bind (readOnly: --bind-ro)
//   });                                           // resolves once systemd says running/degraded
//   await head.exec(["systemctl", "is-active", "pwb-agent.service"]);  // → { code, stdout, stderr }
//   await head.writeFile("/etc/x", "text"); await head.readFile("/etc/x");
//   head.address                                   // its address on the cluster network (10.89.0.0/24)
//   await head.reboot();                           // poweroff, boot the same layer again
//   await cluster.remove();                        // every node, mount, namespace and directory
//
// Every node is an overlayfs: the cached image is the read-only lower layer (it stays pristine), the
// node's own writes go to an upper directory in its scratch directory; `lower` stacks more read-only
// layers above the image (e.g. a baked image's upper). The network is a bridge inside a network
// namespace the cluster makes; each node's own namespace has one veth (host0) on that bridge and
// nothing else: only the nodes' addresses exist there, and no route leads out to the host or beyond.
//
// Clean-up: `remove()` in afterAll; a process `exit` hook kills and unmounts whatever a failed or
// interrupted test left; and each new cluster first sweeps what a killed earlier test process left
// (its namespaces and mounts are named after that process's PID).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, promises as fs, readFileSync, readdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { childrenOf, isContainerInit } from "./nspawn.js";
import { type Run, findCommand, run } from "./systemd.js";

/** What a unit started by systemd would see; nothing from vitest's environment leaks in. */
const NODE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", SYSTEMD_COLORS: "0", HOME: "/root" };
const OUTPUT_TAIL = 64 << 10;
const SUBNET = "10.89.0";
/** Names of this process's namespaces and scratch directories start with this. */
const TAG = `pwbl${process.pid}`;
const SCRATCH_PREFIX = "pwb-live-";

export interface Bind {
  host: string;
  node: string;
  readOnly?: boolean;
}

export interface NodeSpec {
  /** Hostname and machine name: letters, digits and dashes. */
  name: string;
  /** Read-only layers above the image, uppermost first (default: the image alone). */
  lower?: string[];
  binds?: Bind[];
  /** Files placed in the node's layer before its first boot; a string is written 0644. */
  files?: Record<string, string | { content: string; mode: number }>;
  /** Milliseconds to wait for systemd to finish booting (default 60 s: the machine is loaded). */
  bootTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function requireLiveTools(): { nspawn: string; nsenter: string; ip: string; mount: string; umount: string } {
  return {
    nspawn: findCommand("systemd-nspawn", "systemd-container"),
    nsenter: findCommand("nsenter", "util-linux"),
    ip: findCommand("ip", "iproute2"),
    mount: findCommand("mount", "mount"),
    umount: findCommand("umount", "mount"),
  };
}

function must(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (rc ${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}
const quiet = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore" });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Mount points (from /proc/self/mountinfo, octal escapes decoded) under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4]?.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && (mp === dir || mp.startsWith(`${dir}/`))) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Removes the namespaces, mounts and scratch directories of test processes that no longer run. */
function sweepLeftovers(): void {
  const dead = (name: string, re: RegExp) => {
    const pid = Number(re.exec(name)?.[1] ?? 0);
    return pid > 0 && pid !== process.pid && !alive(pid);
  };
  // Containers first: an orphaned systemd-nspawn (its test process was SIGKILLed) and its PID 1.
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith("systemd-nspawn")) continue;
    const machine = argv.find((a) => a.startsWith("--machine="))?.slice("--machine=".length) ?? "";
    if (!dead(machine, /^pwbl(\d+)-/)) continue;
    for (const pid of [...childrenOf(Number(entry)), Number(entry)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  if (existsSync("/run/netns")) {
    for (const ns of readdirSync("/run/netns")) if (dead(ns, /^pwbl(\d+)-/)) quiet(["ip", "netns", "delete", ns]);
  }
  for (const d of readdirSync(os.tmpdir())) {
    if (!dead(d, /^pwb-live-(\d+)-/)) continue;
    const dir = path.join(os.tmpdir(), d);
    for (const mp of mountsUnder(dir)) quiet(["umount", "-l", mp]);
    spawnSync("rm", ["-rf", "--one-file-system", dir], { stdio: "ignore" });
  }
}

/** The bridge all of a cluster's nodes are plugged into, in a network namespace of its own. */
class Network {
  readonly ns: string;
  private readonly nodeNs: string[] = [];
  private next = 10;

  constructor(private readonly ip: string, seq: number) {
    this.ns = `${TAG}-${seq}-br`;
    must([ip, "netns", "add", this.ns]);
    must([ip, "-n", this.ns, "link", "set", "lo", "up"]);
    must([ip, "-n", this.ns, "link", "add", "br0", "type", "bridge"]);
    must([ip, "-n", this.ns, "link", "set", "br0", "up"]);
  }

  /** A namespace for one node: host0 on the bridge with the next address; returns its path and address. */
  attach(): { nsPath: string; address: string } {
    const i = this.next++;
    if (i > 250) throw new Error("a live cluster has at most 241 nodes");
    const ns = `${this.ns.slice(0, -3)}-n${i}`;
    const veth = `v${i}`;
    must([this.ip, "netns", "add", ns]);
    this.nodeNs.push(ns);
    must([this.ip, "-n", this.ns, "link", "add", veth, "type", "veth", "peer", "name", "host0", "netns", ns]);
    must([this.ip, "-n", this.ns, "link", "set", veth, "master", "br0", "up"]);
    const address = `${SUBNET}.${i}`;
    must([this.ip, "-n", ns, "link", "set", "lo", "up"]);
    must([this.ip, "-n", ns, "addr", "add", `${address}/24`, "dev", "host0"]);
    must([this.ip, "-n", ns, "link", "set", "host0", "up"]);
    return { nsPath: `/run/netns/${ns}`, address };
  }

  remove(): void {
    // Deleting a node's namespace removes its veth, and with it the bridge port.
    for (const ns of [...this.nodeNs, this.ns]) quiet([this.ip, "netns", "delete", ns]);
    this.nodeNs.length = 0;
  }
}

export class LiveNode {
  output = "";
  /** The node's PID 1 as a host PID (0 while it is not running). */
  pid1 = 0;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private running = false;
  private readonly uuid = randomUUID().replace(/-/g, "");

  constructor(
    readonly name: string,
    readonly address: string,
    /** The node's scratch directory: upper/ (its writes), work/, root/ (the merged tree while mounted). */
    readonly dir: string,
    private readonly argv: string[],
    private readonly tools: ReturnType<typeof requireLiveTools>,
    private readonly bootTimeoutMs: number,
  ) {}

  get upper(): string {
    return path.join(this.dir, "upper");
  }
  private get merged(): string {
    return path.join(this.dir, "root");
  }

  /** Boots the node (again) and waits until systemd reports running or degraded. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`node ${this.name} is already running`);
    this.output = "";
    this.pid1 = 0;
    const proc = spawn(this.tools.nspawn, [...this.argv, `--uuid=${this.uuid}`, "-b"], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    this.running = true;
    const keep = (b: Buffer) => (this.output = (this.output + b.toString()).slice(-OUTPUT_TAIL));
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    this.exited = new Promise((resolve) => {
      const done = () => ((this.running = false), resolve());
      proc.once("exit", done);
      proc.once("error", (e) => ((this.output += `\nspawn failed: ${e.message}`), done()));
    });
    try {
      await this.waitBooted();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async waitBooted(): Promise<void> {
    const deadline = Date.now() + this.bootTimeoutMs;
    const fail = (why: string) => new Error(`node ${this.name}: ${why}\n--- nspawn output ---\n${this.output.slice(-4000)}`);
    while (!this.pid1) {
      if (!this.running) throw fail("systemd-nspawn exited during start-up");
      if (Date.now() > deadline) throw fail("no container PID 1 appeared");
      this.pid1 = childrenOf(this.proc!.pid!).find(isContainerInit) ?? 0;
      if (!this.pid1) await sleep(50);
    }
    let state = "";
    for (;;) {
      state = (await this.exec(["systemctl", "is-system-running"])).stdout.trim();
      if (state === "running" || state === "degraded") return;
      if (!this.running) throw fail(`systemd-nspawn exited while booting (state ${state})`);
      if (Date.now() > deadline) {
        const jobs = (await this.exec(["systemctl", "list-jobs", "--no-pager"])).stdout;
        throw fail(`boot did not finish in ${this.bootTimeoutMs} ms (state "${state}")\n--- list-jobs ---\n${jobs}`);
      }
      await sleep(100);
    }
  }

  /** Runs argv inside the node (all its namespaces, its root) with a clean environment. */
  exec(argv: readonly string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
    if (!this.pid1) return Promise.resolve({ code: 255, stdout: "", stderr: `node ${this.name} is not running` });
    return run([this.tools.nsenter, "-t", String(this.pid1), "-a", "--", ...argv], { env: { ...NODE_ENV, ...opts.env }, timeoutMs: opts.timeoutMs ?? 60_000 });
  }

  /** exec, throwing with the output when the command fails. */
  async must(argv: readonly string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`${this.name}: ${argv.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /**
   * A node path on the host: through /proc/PID1/root while the node runs (binds included), its merged
   * tree before it boots. An absolute symlink on the way would resolve against the HOST root, so the
   * path is first resolved in the merged tree (the same files, links included) and refused if it
   * leads out.
   */
  private hostPath(p: string): string {
    if (!path.posix.isAbsolute(p)) throw new Error(`not an absolute node path: ${p}`);
    let parent = path.dirname(path.posix.join(this.merged, p));
    while (!existsSync(parent)) parent = path.dirname(parent);
    const real = realpathSync(parent);
    const base = realpathSync(this.merged);
    if (real !== base && !real.startsWith(`${base}/`)) throw new Error(`node path ${p} leads out of node ${this.name} (${real})`);
    return path.posix.join(this.pid1 ? `/proc/${this.pid1}/root` : this.merged, p);
  }

  async writeFile(p: string, content: string, mode = 0o644): Promise<void> {
    const full = this.hostPath(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.writeFile(full, content, { mode });
    await fs.chmod(full, mode);
  }

  readFile(p: string): Promise<string> {
    return fs.readFile(this.hostPath(p), "utf8");
  }

  /** Copies a host file into the node (e.g. the project's .deb). */
  async copyIn(hostFile: string, p: string): Promise<void> {
    const full = this.hostPath(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    await fs.copyFile(hostFile, full);
  }

  private waitExit(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return Promise.race([this.exited.then(() => true), sleep(ms).then(() => !this.running)]);
  }

  /** Kills the node's processes at once (the process-exit hook and a hung poweroff). */
  killNow(): void {
    if (!this.running) return;
    // Killing a PID namespace's init kills everything in it; then nspawn has nothing left to wait for.
    for (const pid of [this.pid1, this.proc?.pid ?? 0]) {
      try {
        if (pid) process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }

  /** Clean poweroff (its layer is kept: start() boots it again); SIGTERM, then SIGKILL, if that hangs. */
  async stop(): Promise<void> {
    if (this.running && this.pid1) await this.exec(["systemctl", "poweroff", "--no-block"], { timeoutMs: 10_000 });
    if (!(await this.waitExit(30_000))) {
      this.proc?.kill("SIGTERM");
      if (!(await this.waitExit(10_000))) {
        this.killNow();
        await this.waitExit(10_000);
      }
    }
    this.pid1 = 0;
  }

  async reboot(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export class LiveCluster {
  private static seq = 0;
  private readonly nodes: LiveNode[] = [];
  private readonly dirs: string[] = [];
  private network: Network | null = null;
  private tools: ReturnType<typeof requireLiveTools> | null = null;
  private readonly onExit = () => this.removeNow();
  private hooked = false;
  private hostsWritten: Promise<void> = Promise.resolve();
  private readonly seq = LiveCluster.seq++;

  /** @param image the image's root directory (ensureImage().root from test/live/image.mjs) */
  constructor(private readonly image: string) {
    this.hook();
  }

  /** Last resort if the test process ends before afterAll: never leave a node behind. */
  private hook(): void {
    if (!this.hooked) process.once("exit", this.onExit);
    this.hooked = true;
  }

  private async scratch(what: string): Promise<string> {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), `${SCRATCH_PREFIX}${process.pid}-${what}-`));
    this.dirs.push(d);
    return d;
  }

  /** A host directory to bind into several nodes (a shared /home, /opt/rstudio). */
  async sharedDir(name: string): Promise<string> {
    const d = await this.scratch(`shared-${name}`);
    await fs.chmod(d, 0o755);
    return d;
  }

  /** Makes a node's overlay and network, places its files, /etc/hosts included, and boots it. */
  async boot(spec: NodeSpec): Promise<LiveNode> {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(spec.name)) throw new Error(`node name ${JSON.stringify(spec.name)}: lowercase letters, digits and dashes`);
    if (this.nodes.some((n) => n.name === spec.name)) throw new Error(`node ${spec.name} exists already`);
    this.hook();
    if (!this.tools) {
      this.tools = requireLiveTools();
      sweepLeftovers();
    }
    const tools = this.tools;
    if (!existsSync(path.join(this.image, "usr/lib/systemd/systemd"))) throw new Error(`${this.image} is not a bootable image (no systemd)`);
    this.network ??= new Network(tools.ip, this.seq);
    const { nsPath, address } = this.network.attach();
    const dir = await this.scratch(spec.name);
    for (const d of ["upper", "work", "root"]) await fs.mkdir(path.join(dir, d));
    const lower = [...(spec.lower ?? []), this.image].join(":");
    must([tools.mount, "-t", "overlay", "overlay", "-o", `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`, `${dir}/root`]);
    const machine = `${TAG}-${this.seq}-${spec.name}`.slice(0, 64);
    const argv = [
      "-D", `${dir}/root`,
      `--network-namespace-path=${nsPath}`,
      // No host D-Bus or machined to register with; the journal stays inside the node.
      "--register=no", "--keep-unit", "--link-journal=no", "--resolv-conf=off", "--timezone=off",
      `--machine=${machine}`, `--hostname=${spec.name}`, "--console=pipe",
      ...(spec.binds ?? []).map((b) => `--bind${b.readOnly ? "-ro" : ""}=${b.host}:${b.node}`),
    ];
    const node = new LiveNode(spec.name, address, dir, argv, tools, spec.bootTimeoutMs ?? 60_000);
    this.nodes.push(node);
    for (const [p, f] of Object.entries(spec.files ?? {})) {
      if (typeof f === "string") await node.writeFile(p, f);
      else await node.writeFile(p, f.content, f.mode);
    }
    // systemd sets the hostname from /etc/hostname at boot, over nspawn's --hostname.
    await node.writeFile("/etc/hostname", `${spec.name}\n`);
    await this.writeHosts();
    await node.start();
    return node;
  }

  /**
   * Every node's /etc/hosts names every node (running nodes see a later one at once). Writes run one
   * after another, each listing the nodes known when it runs, so the last one (nodes booted at once)
   * lists them all.
   */
  private writeHosts(): Promise<void> {
    this.hostsWritten = this.hostsWritten.catch(() => {}).then(async () => {
      const text = ["127.0.0.1 localhost", "::1 localhost", ...this.nodes.map((n) => `${n.address} ${n.name}`), ""].join("\n");
      for (const n of [...this.nodes]) await n.writeFile("/etc/hosts", text);
    });
    return this.hostsWritten;
  }

  get all(): readonly LiveNode[] {
    return this.nodes;
  }

  /** Powers every node off, unmounts, deletes the namespaces and the scratch directories. */
  async remove(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => n.killNow())));
    this.removeNow();
  }

  /** The synchronous part of remove(), also the process-exit hook's whole job. */
  private removeNow(): void {
    for (const n of this.nodes) n.killNow();
    for (const d of this.dirs) {
      // Lazy: a just-killed node may hold its root for a moment; the tree is gone once it lets go.
      for (const mp of mountsUnder(d)) quiet(["umount", "-l", mp]);
    }
    this.network?.remove();
    this.network = null;
    for (const d of this.dirs.splice(0)) spawnSync("rm", ["-rf", "--one-file-system", d], { stdio: "ignore" });
    this.nodes.length = 0;
    process.removeListener("exit", this.onExit);
    this.hooked = false;
  }
}
