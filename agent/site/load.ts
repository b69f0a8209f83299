import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { decodeUtf8, readRegular, UnexpectedFileError } from "../nodefs/files.js";
import type { Root } from "../nodefs/root.js";
import { BadInputError } from "../errors.js";
import type { Facts } from "../facts/types.js";
import type { Logger } from "../log.js";
import { describeIssues, renderProblems, type SiteProblem } from "./errors.js";
import { checkLimits } from "./limits.js";
import { resolveSite } from "./resolve.js";
import { parseS3Url, readS3Object, s3Failure, type S3Reader } from "./s3.js";
import { siteSchema } from "./schema.js";
import type { SiteConfig } from "./types.js";

/** Where `--site` points when it is not given (a node path, under --root). */
export const DEFAULT_SITE_PATH = "/etc/pwb-agent/site.yaml";
export const MAX_SITE_BYTES = 1024 * 1024;

export interface LoadSiteOptions {
  /** `--site` as given: a path (relative to the working directory) or s3://bucket/key; undefined = the default. */
  site?: string;
  root: Root;
  /** For s3:// URLs: the node's region (facts), else $AWS_REGION. */
  region?: string | null;
  log: Logger;
  readS3?: S3Reader;
}

/** The site config for plan/apply/doctor: --site, else /etc/pwb-agent/site.yaml under the root, else null. */
export function siteForNode(site: string | undefined, root: Root, facts: Facts, log: Logger): Promise<SiteConfig | null> {
  return loadSite({ site, root, region: facts.cluster.region ?? facts.instance.region, log });
}

/**
 * The validated site config, or null when none was asked for and the default file is absent (the
 * caller skips what needs one). An explicit --site that is missing or invalid is bad input: exit 2.
 */
export async function loadSite(o: LoadSiteOptions): Promise<SiteConfig | null> {
  const site = await readSite(o);
  // On a simulated node the shared storage may be links out of the root: they stand in for mounts.
  if (site) o.root.allowMountLinks([site.storage.workbench, site.storage.home, ...(site.storage.sharedStoragePath ? [site.storage.sharedStoragePath] : [])]);
  return site;
}

async function readSite(o: LoadSiteOptions): Promise<SiteConfig | null> {
  if (o.site === undefined) {
    const text = await readLocal(() => o.root.readBytes(DEFAULT_SITE_PATH, { maxBytes: MAX_SITE_BYTES, shown: DEFAULT_SITE_PATH }), DEFAULT_SITE_PATH, false);
    if (text === null) {
      o.log.warn({ site: DEFAULT_SITE_PATH }, `no site config at ${DEFAULT_SITE_PATH} and no --site given: components that need one (workbench) are skipped`);
      return null;
    }
    return parseSiteText(text, DEFAULT_SITE_PATH);
  }
  if (o.site.startsWith("s3://")) {
    const loc = parseS3Url(o.site);
    if (!loc) throw new BadInputError(`--site ${o.site}: expected s3://bucket/key`);
    const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? null;
    if (!region) throw new BadInputError(`--site ${o.site}: cannot tell the AWS region (no region in the node's facts, AWS_REGION unset)`);
    let text: string;
    try {
      const body = await (o.readS3 ?? readS3Object)(loc, region, MAX_SITE_BYTES);
      text = typeof body === "string" ? body : siteText(body, o.site);
    } catch (e) {
      throw s3Failure(o.site, e);
    }
    o.log.info({ site: o.site }, "site config read from S3");
    return parseSiteText(text, o.site);
  }
  const text = await readLocal(() => readRegular(path.resolve(o.site!), { maxBytes: MAX_SITE_BYTES, shown: o.site! }), o.site, true);
  return parseSiteText(text!, o.site);
}

/** `read`: the node's default site file through the root, or an operator's --site file on this host. */
async function readLocal(read: () => Promise<Buffer | null>, shown: string, explicit: boolean): Promise<string | null> {
  let buf: Buffer | null;
  try {
    buf = await read();
  } catch (e) {
    const message = e instanceof UnexpectedFileError ? e.message.slice(shown.length + 2) : (e as Error).message;
    throw new BadInputError(`--site ${shown}: ${message}`, { file: shown });
  }
  if (buf === null) {
    if (!explicit) return null;
    throw new BadInputError(`--site ${shown}: no such file`, { file: shown });
  }
  return siteText(buf, shown);
}

/** Site text must be valid UTF-8: replacement characters would end up in Workbench's config. */
export function siteText(buf: Uint8Array, shown: string): string {
  try {
    return decodeUtf8(buf, shown);
  } catch {
    throw new BadInputError(`--site ${shown}: not valid UTF-8 text (a site file is UTF-8)`, { file: shown });
  }
}

/** YAML text → validated SiteConfig; every problem located as file:line:column: field: expected … */
export function parseSiteText(text: string, source: string): SiteConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true });
  const syntax: SiteProblem[] = doc.errors.map((err) => {
    const { line, col } = lc.linePos(err.pos[0]);
    return { line, column: col, field: "(yaml)", message: `not valid YAML: ${err.message.split("\n")[0]}` };
  });
  if (syntax.length) throw siteError(source, syntax);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw siteError(source, [{ line: 1, column: 1, field: "(yaml)", message: `not valid YAML: ${(e as Error).message}` }]);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw siteError(source, [{ line: 1, column: 1, field: "(top level)", message: "expected a mapping with workbench:, database:, alb:, slurm: …" }]);
  }
  const limits = checkLimits(data);
  if (limits.length) {
    const issues = limits.map((l) => ({ code: "custom" as const, path: l.path, message: l.message, input: undefined }));
    throw siteError(source, describeIssues(issues, doc, lc, siteSchema));
  }
  const parsed = siteSchema.safeParse(data);
  if (!parsed.success) throw siteError(source, describeIssues(parsed.error.issues, doc, lc, siteSchema));
  return resolveSite(parsed.data, source, text);
}

function siteError(source: string, problems: SiteProblem[]): BadInputError {
  return new BadInputError(renderProblems(source, problems), { file: source, problems });
}
