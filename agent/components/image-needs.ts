// What a component's node phase needs the image to hold (a package's unit files, the account it
// creates). A component whose needs are missing is skipped; the others converge, and the apply then
// fails (exit 1) with one message naming what is missing and the fix.
import { findUnitFile } from "../engine/systemd.js";
import { RuntimeFailure } from "../errors.js";
import type { Facts } from "../facts/types.js";
import { Accounts } from "../nodefs/accounts.js";
import type { Root } from "../nodefs/root.js";
import type { SiteConfig } from "../site/types.js";
import type { ImageNeed } from "./types.js";


export interface MissingNeed extends ImageNeed {
  component: string;
}

async function present(root: Root, accounts: Accounts, need: ImageNeed): Promise<boolean> {
  if (need.kind === "unit") return (await findUnitFile(root, need.name)) !== null;
  try {
    await (need.kind === "user" ? accounts.uid(need.name) : accounts.gid(need.name));
    return true;
  } catch (e) {
    if (e instanceof RuntimeFailure) return false;
    throw e;
  }
}

/** The components whose image needs are all on the node, and what the others lack. */
/** What splitting needs of a component (any component: its inputs do not matter here). */
interface NeedsImage {
  name: string;
  imageNeeds?(facts: Facts, site: SiteConfig): ImageNeed[];
}

export async function splitByImageNeeds<C extends NeedsImage>(components: readonly C[], facts: Facts, site: SiteConfig | null, root: Root): Promise<{ ready: C[]; missing: MissingNeed[] }> {
  const accounts = new Accounts(root);
  const ready: C[] = [];
  const missing: MissingNeed[] = [];
  for (const c of components) {
    const needs = site && c.imageNeeds ? c.imageNeeds(facts, site) : [];
    const lacking: MissingNeed[] = [];
    for (const n of needs) if (!(await present(root, accounts, n))) lacking.push({ ...n, component: c.name });
    if (lacking.length) missing.push(...lacking);
    else ready.push(c);
  }
  return { ready, missing };
}

const KIND_WORD: Record<ImageNeed["kind"], string> = { unit: "unit", user: "user", group: "group" };

/** One message for everything missing: what, from which package, what was skipped, and the fix. */
export function missingMessage(missing: readonly MissingNeed[]): string {
  const what = missing.map((m) => `${KIND_WORD[m.kind]} ${m.name}`).join(", ");
  const packages = [...new Set(missing.map((m) => m.package))].join(", ");
  const skipped = [...new Set(missing.map((m) => m.component))].join(", ");
  return (
    `this node's image lacks ${what} (from ${packages}): skipped ${skipped}; everything else converged. ` +
    `Fix: build the image with \`pwb-agent bake\` (or install ${packages}), then run \`pwb-agent apply\` (pwb-agent.service does at the next boot).`
  );
}
