import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/** A built artifact's absolute path; a missing one fails the test with how to make it. */
export function requireBuilt(rel: "dist/pwb-agent.cjs" | "dist/pwb-agent"): string {
  const abs = path.resolve(rel);
  if (!existsSync(abs)) throw new Error(`${rel} is missing: run \`npm run build\` first (npm test does)`);
  return abs;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI as a separate process, exactly as an admin would. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
