import { promises as fs } from "node:fs";
import path from "node:path";
import { RuntimeFailure } from "../errors.js";
import { isMissing } from "./files.js";

/** Links followed while resolving one path before it counts as a loop (the kernel's limit). */
const MAX_LINK_HOPS = 40;

/** Where `p` leads: realpath(3), extended past a missing last part and through dangling links. */
export async function resolveReal(p: string, hops = 0): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (e) {
    if (!isMissing(e)) throw e;
  }
  if (hops > MAX_LINK_HOPS) throw new RuntimeFailure(`${p}: too many levels of symbolic links`);
  const parent = path.dirname(p);
  const here = path.join(parent === p ? p : await resolveReal(parent, hops + 1), path.basename(p));
  const target = await fs.readlink(here).catch(() => null);
  return target === null ? here : resolveReal(path.resolve(path.dirname(here), target), hops + 1);
}
