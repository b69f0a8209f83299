import { createHash } from "node:crypto";
import type { SiteConfig } from "../../../site/types.js";
import type { SharedFile } from "./file.js";

export const MANIFEST_FORMAT = 1;

export interface ManifestEntry {
  name: string;
  sha256: string;
  mode: number;
}

/**
 * The head node's statement of what the shared configuration directory holds: every file's hash and
 * mode. Written after every file, so a login node that finds each file matching it knows the set is
 * complete and not half-written. Deterministic: same configuration, same bytes.
 */
export interface Manifest {
  format: number;
  workbenchVersion: string;
  configDir: string;
  files: ManifestEntry[];
}

export function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

export function buildManifest(site: SiteConfig, files: readonly SharedFile[]): Manifest {
  return {
    format: MANIFEST_FORMAT,
    workbenchVersion: site.workbench.version,
    configDir: site.storage.configDir,
    files: files.map((f) => ({ name: f.name, sha256: sha256(f.content), mode: f.mode })),
  };
}

export function renderManifest(m: Manifest): string {
  const files = m.files.map((f) => `    ${JSON.stringify({ name: f.name, sha256: f.sha256, mode: `0${f.mode.toString(8)}` })}`);
  return [
    "{",
    `  "format": ${m.format},`,
    `  "workbenchVersion": ${JSON.stringify(m.workbenchVersion)},`,
    `  "configDir": ${JSON.stringify(m.configDir)},`,
    `  "files": [`,
    files.join(",\n"),
    "  ]",
    "}",
    "",
  ].join("\n");
}

/** Throws an Error saying what is wrong; the caller adds where. */
export function parseManifest(text: string): Manifest {
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (doc.format !== MANIFEST_FORMAT) throw new Error(`format ${String(doc.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof doc.workbenchVersion !== "string" || typeof doc.configDir !== "string" || !Array.isArray(doc.files)) {
    throw new Error("missing workbenchVersion, configDir or files");
  }
  const files = doc.files.map((f: unknown) => {
    const e = f as Record<string, unknown>;
    if (typeof e.name !== "string" || !/^[A-Za-z0-9._-]+$/.test(e.name) || typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new Error("a files entry without a plain name and a sha256");
    }
    if (typeof e.mode !== "string" || !/^0[0-7]{3,4}$/.test(e.mode)) throw new Error(`${e.name}: mode is not octal`);
    return { name: e.name, sha256: e.sha256, mode: parseInt(e.mode, 8) };
  });
  return { format: MANIFEST_FORMAT, workbenchVersion: doc.workbenchVersion, configDir: doc.configDir, files };
}
