#!/usr/bin/env node
// `npm run aws-endpoint -- --port N [--scenario NAME]`: bundle the TypeScript endpoint, then run it.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { bundleTs } from "./bundle.mjs";

const file = await bundleTs("test/aws-endpoint/main.ts", "aws-endpoint");
const child = spawn(process.execPath, [file, ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => {
  rmSync(path.dirname(file), { recursive: true, force: true });
  process.exit(code ?? (signal ? 128 : 1));
});
