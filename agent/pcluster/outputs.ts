import path from "node:path";
import { atomicWrite } from "../nodefs/files.js";
import { HOOK_SCRIPT_NAME, renderHookScript } from "./hook.js";
import { renderHeadPolicy, renderNodePolicy } from "./iam-policies.js";
import type { RenderInput } from "./input.js";
import { nodePolicyName, renderClusterConfig } from "./render.js";

export interface RenderedFile {
  /** Relative to the output directory. */
  path: string;
  content: string;
  mode: number;
}

/** Every file `cluster-config render` produces, in the order it lists them. */
export function renderAll(input: RenderInput, sources: { site: string; input: string }): RenderedFile[] {
  return [
    { path: "cluster.yaml", content: renderClusterConfig(input, sources), mode: 0o644 },
    { path: HOOK_SCRIPT_NAME, content: renderHookScript(), mode: 0o755 },
    { path: `iam/${nodePolicyName(input, "head")}.json`, content: renderHeadPolicy(input), mode: 0o644 },
    { path: `iam/${nodePolicyName(input, "login")}.json`, content: renderNodePolicy(input, "login"), mode: 0o644 },
    { path: `iam/${nodePolicyName(input, "compute")}.json`, content: renderNodePolicy(input, "compute"), mode: 0o644 },
  ];
}

/** Each file written whole or not at all (temp file, fsync, rename). */
export async function writeAll(dir: string, files: RenderedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const target = path.join(dir, f.path);
    await atomicWrite(target, f.content, { mode: f.mode });
    written.push(target);
  }
  return written;
}
