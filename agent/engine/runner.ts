import { spawn } from "node:child_process";
import type { Logger } from "../log.js";
import { RuntimeFailure } from "../errors.js";
import { cappedTimeout, currentDeadline } from "./deadline.js";

export interface RunOptions {
  /** True for commands that change the system (install, enable, restart): not run on a simulated root. */
  mutates?: boolean;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Text for the child's stdin. */
  input?: string;
}

export interface RunResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the command was recorded instead of run (simulated root). */
  deferred: boolean;
}

/** The one way pwb-agent starts processes: argv arrays only, never a shell string. */
export interface CommandRunner {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Commands recorded instead of run. */
  readonly deferred: string[][];
}

export class SpawnRunner implements CommandRunner {
  readonly deferred: string[][] = [];

  constructor(
    private readonly log: Logger,
    /** Simulated root: commands marked `mutates` are recorded, not run. */
    private readonly simulate = false,
  ) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0 || !argv[0]) throw new Error("empty argv");
    if (this.simulate && opts.mutates) {
      this.deferred.push(argv);
      this.log.info({ argv }, "not run on a simulated root");
      return { argv, code: 0, stdout: "", stderr: "", durationMs: 0, deferred: true };
    }
    const started = performance.now();
    // Under a deadline (a doctor check's), a command gets no longer than is left of it and dies with it.
    const deadline = currentDeadline();
    if (deadline?.signal.aborted) return { argv, code: 124, stdout: "", stderr: `not started: ${deadline.label} had passed`, durationMs: 0, deferred: false };
    const result = await spawnCollect(argv, { ...opts, timeoutMs: cappedTimeout(opts.timeoutMs, deadline) }, deadline?.signal);
    const durationMs = Math.round(performance.now() - started);
    this.log.debug({ argv, code: result.code, durationMs }, "command finished");
    if (opts.mutates) this.log.info({ argv, code: result.code, durationMs }, "ran command");
    return { argv, ...result, durationMs, deferred: false };
  }
}

function spawnCollect(argv: string[], opts: RunOptions, signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs,
      killSignal: "SIGKILL",
      ...(signal ? { signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (e.name === "AbortError") resolve({ code: 124, stdout: Buffer.concat(out).toString("utf8"), stderr: "killed: deadline passed" });
      else if (e.code === "ENOENT") resolve({ code: 127, stdout: "", stderr: `${cmd}: command not found` });
      else reject(new RuntimeFailure(`could not start ${cmd}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + (signal ? `\nkilled by ${signal}` : ""),
      });
    });
    if (child.stdin) {
      // A child may exit without reading its input: that is its answer, not our failure.
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Runs a command and fails with its stderr when it exits non-zero. */
export async function runChecked(runner: CommandRunner, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await runner.run(argv, opts);
  if (res.code !== 0) {
    const tail = res.stderr.trim().split("\n").slice(-5).join("\n");
    throw new RuntimeFailure(`command failed (exit ${res.code}): ${argv.join(" ")}${tail ? `\n${tail}` : ""}`);
  }
  return res;
}
