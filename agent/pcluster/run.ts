// What `cluster-config validate` and `render` do, apart from their flags and their output.
import path from "node:path";
import { BadInputError } from "../errors.js";
import type { Logger } from "../log.js";
import { decodeUtf8, readRegular } from "../nodefs/files.js";
import { Root } from "../nodefs/root.js";
import { loadSite } from "../site/load.js";
import { buildRenderInput, parseClusterInput } from "./build-input.js";
import type { RenderInput } from "./input.js";
import { renderAll, type RenderedFile } from "./outputs.js";
import { renderIssues } from "./report.js";
import { validateClusterConfig, type ValidationResult } from "./validate.js";
import { parsePclusterVersion } from "./versions.js";

const MAX_FILE_BYTES = 1024 * 1024;

/** Reads a file the admin named, at most `maxBytes`, or bad input naming it. */
export async function readInputBytes(file: string, what: string, maxBytes: number): Promise<Buffer> {
  try {
    const buf = await readRegular(file, { maxBytes, shown: `${what} ${file}` });
    if (buf === null) throw new BadInputError(`${what} ${file}: no such file`);
    return buf;
  } catch (e) {
    throw e instanceof BadInputError ? e : new BadInputError((e as Error).message);
  }
}

/** A file the admin named, whole and UTF-8, or bad input naming it. */
export async function readInputFile(file: string, what: string): Promise<string> {
  return decodeUtf8(await readInputBytes(file, what, MAX_FILE_BYTES), `${what} ${file}`);
}

export interface RenderedCluster {
  input: RenderInput;
  files: RenderedFile[];
  /** The rendered cluster.yaml's own validation: warnings only (an error is thrown). */
  result: ValidationResult;
}

/**
 * The cluster's files from the site file and a cluster input file. Our own output must pass our own
 * checks: an error there is a rule this renderer does not meet, reported as bad input with the issues.
 */
export async function renderClusterFiles(sitePath: string, inputPath: string, log: Logger): Promise<RenderedCluster> {
  const site = await loadSite({ site: sitePath, root: new Root("/"), log });
  if (!site) throw new BadInputError(`--site ${sitePath}: no site configuration`);
  const input = buildRenderInput(site, parseClusterInput(await readInputFile(inputPath, "--input"), inputPath));
  const files = renderAll(input, { site: path.basename(sitePath), input: path.basename(inputPath) });
  const result = validateClusterConfig(files[0]!.content, { version: parsePclusterVersion(input.pclusterVersion)!, clusterName: input.clusterName });
  if (result.errors) {
    throw new BadInputError(`the rendered cluster configuration does not validate:\n${renderIssues("cluster.yaml", result, input.pclusterVersion)}`);
  }
  return { input, files, result };
}
