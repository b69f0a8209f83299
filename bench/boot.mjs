// AMI boot benchmark (see bench/drivers/boot.ts): bundles the TypeScript driver
// with esbuild, then runs it with this Node.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";

const dir = mkdtempSync(path.join(os.tmpdir(), "pwb-bench-"));
try {
  const out = path.join(dir, "boot.cjs");
  await build({ entryPoints: ["bench/drivers/boot.ts"], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: out, logLevel: "error", loader: { ".service": "text", ".timer": "text", ".path": "text", ".socket": "text", ".conf": "text" } });
  const r = spawnSync(process.execPath, [out], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
