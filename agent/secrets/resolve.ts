import type { Root } from "../nodefs/root.js";
import { BadInputError } from "../errors.js";
import type { Logger } from "../log.js";
import type { SecretRef } from "../site/types.js";
import { readRootOnlySecret } from "./file.js";
import { getSecureParameter } from "./ssm.js";

export interface ResolveOptions {
  root: Root;
  /** Region for SSM: the node's (facts), else $AWS_REGION. */
  region: string | null;
  /** The site field that holds the reference, e.g. "database.password". */
  field: string;
  log: Logger;
}

/** The value behind a site secret reference; registered for scrubbing before it is returned. */
export async function resolveSecret(ref: SecretRef, o: ResolveOptions): Promise<string> {
  if ("file" in ref) return readRootOnlySecret(o.root, ref.file, `${o.field}.file`);
  const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? null;
  if (!region) throw new BadInputError(`${o.field}.ssm: cannot tell the AWS region (no region in the node's facts, AWS_REGION unset)`);
  return getSecureParameter(ref.ssm, { region, log: o.log, field: `${o.field}.ssm` });
}
