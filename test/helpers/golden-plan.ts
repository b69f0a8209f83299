import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { expect, vi } from "vitest";
import { Accounts } from "../../agent/nodefs/accounts.js";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import type { CommandRunner, RunResult } from "../../agent/engine/runner.js";
import type { EngineContext, Resource } from "../../agent/engine/types.js";
import type { OsFamily } from "../../agent/facts/types.js";
import { silentLogger } from "../../agent/log.js";
import { tempDir } from "./engine.js";

/** The bytes the stubbed network serves for a URL, and their sha256 (what a site would pin). */
export const fakeArtifact = (url: string) => Buffer.from(`fake artifact ${path.posix.basename(url)}\n`);
export const fakeSha256 = (fileName: string) => createHash("sha256").update(`fake artifact ${fileName}\n`).digest("hex");

/**
 * Plans and applies resources on a fresh simulated root as `pwb-agent apply --root` would, with
 * nothing installed (every package query says "not installed") and the network stubbed, and returns
 * what the node would do: `download <url>` and `run <argv>` (recorded, not run) in the order the
 * engine does them (restarts last), then the files and links it writes.
 */
export async function simulatedApply(resources: Resource[], family: OsFamily): Promise<string[]> {
  const log: string[] = [];
  const root = new Root(await tempDir("pwb-golden-"));
  const deferred: string[][] = [];
  const runner: CommandRunner = {
    deferred,
    async run(argv, opts): Promise<RunResult> {
      if (opts?.mutates) {
        deferred.push(argv);
        log.push(`run ${argv.join(" ")}`);
        return { argv, code: 0, stdout: "", stderr: "", durationMs: 0, deferred: true };
      }
      if (argv[0] === "rpm" && argv.includes("-q")) return { argv, code: 1, stdout: "", stderr: "not installed", durationMs: 0, deferred: false };
      if (argv[0] === "dpkg-query" || argv[0] === "test") return { argv, code: 1, stdout: "", stderr: "not installed", durationMs: 0, deferred: false };
      // rpm --initdb's effect, which the next step (the rename into place) needs: its database directory.
      if (argv[0] === "rpm" && argv.includes("--initdb")) await fs.mkdir(path.join(root.dir, argv[argv.indexOf("--dbpath") + 1]!), { recursive: true });
      // Confined to the simulated root (dpkg --root, rpm --root): recorded, with the root's temp path spelled <root>.
      log.push(`run ${argv.map((a) => a.split(root.dir).join("<root>")).join(" ")}`);
      return { argv, code: 0, stdout: "", stderr: "", durationMs: 0, deferred: false };
    },
  };
  const fetchStub = vi.fn(async (url: string | URL) => {
    log.push(`download ${String(url)}`);
    return new Response(fakeArtifact(String(url)));
  });
  vi.stubGlobal("fetch", fetchStub);
  try {
    const ctx: EngineContext = { root, runner, log: silentLogger(), accounts: new Accounts(root), osFamily: family, diffs: false, stats: { filesWritten: 0, bytesWritten: 0, commandsRun: 0 } };
    const changes = await plan(resources, ctx);
    await apply(changes, resources, ctx);
    // Files and links after the commands: the engine writes them in declaration order between them.
    for (const { resource: r } of changes) {
      if (r.kind === "file") log.push(`write ${r.path} 0${r.mode.toString(8)}`);
      if (r.kind === "symlink") log.push(`link ${r.path} -> ${r.target}`);
    }
  } finally {
    vi.unstubAllGlobals();
  }
  return sortConcurrentDownloads(log);
}

/** The engine fetches a plan's files concurrently: consecutive downloads are listed sorted. */
function sortConcurrentDownloads(lines: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const l of [...lines, ""]) {
    if (l.startsWith("download ")) run.push(l);
    else {
      out.push(...run.sort());
      run = [];
      if (l !== "") out.push(l);
    }
  }
  return out;
}

/** Compares text with a golden file; `UPDATE_GOLDEN=1` rewrites it (review the diff like code). */
export async function expectGolden(file: string, text: string): Promise<void> {
  if (process.env.UPDATE_GOLDEN === "1") {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }
  expect(text, `${file} differs (UPDATE_GOLDEN=1 regenerates it)`).toBe(await fs.readFile(file, "utf8"));
}
