import { createPrivateKey, createPublicKey } from "node:crypto";
import { fail, ok, type CheckOutcome } from "../../../doctor/checks.js";
import type { Root } from "../../../nodefs/root.js";
import { registerKey } from "../../../secrets/keys.js";
import type { SiteConfig } from "../../../site/types.js";
import { parseConfig, topLevel } from "../config/ini-read.js";
import { dropIn } from "../login/resources.js";
import { configFile, dropInPath, KEY_FILES, LAUNCHER_PEM, LAUNCHER_PUB, SECURE_COOKIE_KEY, WORKBENCH_UNITS } from "../paths.js";
import { checkSharedConfig, MAX_SHARED_FILE_BYTES } from "../config/state.js";

const KEY_VALUE_FILES = /(\.conf|^launcher-env|^load-balancer)$/;

/** Present, complete (every file matches the head's manifest) and parseable, with the settings load balancing needs. */
export async function checkConfig(root: Root, site: SiteConfig): Promise<CheckOutcome> {
  const state = await checkSharedConfig(root, site);
  if (!state.ready) return fail(state.reason);
  const problems: string[] = [];
  for (const entry of state.manifest.files) {
    if (!KEY_VALUE_FILES.test(entry.name) || entry.name === "nginx.worker.conf") continue;
    try {
      parseConfig((await readMaybe(root, configFile(site, entry.name))) ?? "");
    } catch (e) {
      problems.push(`${entry.name}: ${(e as Error).message}`);
    }
  }
  const rserver = topLevel(parseConfig((await readMaybe(root, configFile(site, "rserver.conf"))) ?? ""));
  for (const key of ["server-health-check-enabled", "load-balancing-enabled", "launcher-sessions-enabled"]) {
    if (rserver.get(key) !== "1") problems.push(`rserver.conf: ${key} is not 1`);
  }
  if (problems.length) return fail(problems.join("; "));
  return ok(`${state.manifest.files.length} files in ${site.storage.configDir} match the head node's manifest and parse`);
}

function readMaybe(root: Root, p: string): Promise<string | null> {
  return root.readText(p, { maxBytes: MAX_SHARED_FILE_BYTES });
}

/** Copies Workbench would find outside the shared directory (the package's /etc/rstudio, its own generated key). */
const LOCAL_COPIES: Record<string, string[]> = {
  [SECURE_COOKIE_KEY]: ["/etc/rstudio/secure-cookie-key", "/var/lib/rstudio-server/secure-cookie-key"],
  [LAUNCHER_PEM]: ["/etc/rstudio/launcher.pem"],
  [LAUNCHER_PUB]: ["/etc/rstudio/launcher.pub"],
};

/**
 * The shared keys are there, 0600, and a matching RSA pair; no node-local copy differs from them (a
 * stray local key is what `rstudio-server` tools run without RSTUDIO_CONFIG_DIR would pick up).
 */
export async function checkKeys(root: Root, site: SiteConfig): Promise<CheckOutcome> {
  const shared: Record<string, string> = {};
  for (const name of KEY_FILES) {
    const p = configFile(site, name);
    const text = await readMaybe(root, p);
    if (text === null) return fail(`${p} is missing`);
    registerKey(text);
    const mode = ((await root.stat(p))?.mode ?? 0) & 0o777;
    if (mode !== 0o600) return fail(`${p} has mode 0${mode.toString(8)}, expected 0600`);
    shared[name] = text;
  }
  try {
    const derived = createPublicKey(createPrivateKey(shared[LAUNCHER_PEM]!)).export({ type: "spki", format: "der" });
    if (!derived.equals(createPublicKey(shared[LAUNCHER_PUB]!).export({ type: "spki", format: "der" }))) {
      return fail(`${configFile(site, LAUNCHER_PUB)} does not match ${LAUNCHER_PEM}`);
    }
  } catch (e) {
    return fail(`launcher key pair unreadable: ${(e as Error).message.split("\n")[0]}`);
  }
  if ((shared[SECURE_COOKIE_KEY] ?? "").trim().length < 16) return fail("secure-cookie-key is too short");
  const differing: string[] = [];
  for (const [name, copies] of Object.entries(LOCAL_COPIES)) {
    for (const copy of copies) {
      const local = await readMaybe(root, copy);
      if (local !== null && local.trim() !== shared[name]!.trim()) differing.push(copy);
    }
  }
  if (differing.length) return fail(`node-local keys differ from the shared ones: ${differing.join(", ")} (remove them)`);
  return ok("secure-cookie-key and launcher.pem/.pub present, 0600, pair matches; no differing local copies");
}

/** Both services read the shared directory: the drop-ins are there, as pwb-agent writes them. */
export async function checkDropIns(root: Root, site: SiteConfig): Promise<CheckOutcome> {
  const wrong: string[] = [];
  for (const unit of WORKBENCH_UNITS) {
    const text = await readMaybe(root, dropInPath(unit));
    if (text === null) wrong.push(`${dropInPath(unit)} missing`);
    else if (text !== dropIn(unit, site)) wrong.push(`${dropInPath(unit)} differs from what pwb-agent writes`);
  }
  return wrong.length ? fail(wrong.join("; ")) : ok(`RSTUDIO_CONFIG_DIR=${site.storage.configDir} for ${WORKBENCH_UNITS.join(" and ")}`);
}
