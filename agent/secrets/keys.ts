import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { RuntimeFailure } from "../errors.js";
import { registerSecret } from "../log.js";

const generateKeyPairAsync = promisify(generateKeyPair);

/** The keys every load-balanced Workbench node must share. */
export interface WorkbenchKeys {
  secureCookieKey: string;
  launcherPem: string;
  launcherPub: string;
}

/** What is on disk now (null: absent). */
export interface ExistingKeys {
  secureCookieKey: string | null;
  launcherPem: string | null;
  launcherPub: string | null;
}

/** 128 random bits as 32 hex digits: the format of Posit's own recipe (`uuidgen` without dashes). */
export function newSecureCookieKey(): string {
  return randomUUID().replace(/-/g, "") + "\n";
}

/** RSA 2048: PKCS#8 private key and SPKI public key, as `openssl genpkey` / `openssl rsa -pubout` write them. */
export async function newLauncherKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** Scrubs a key from every log line and error: the whole text and each line of its body. */
export function registerKey(text: string): void {
  registerSecret(text.trim());
  for (const line of text.split("\n")) if (line.length >= 16 && !line.startsWith("-----")) registerSecret(line.trim());
}

function publicKeyOf(privatePem: string, where: string): string {
  let key;
  try {
    key = createPrivateKey(privatePem);
  } catch (e) {
    throw new RuntimeFailure(`${where}: not a readable private key (${(e as Error).message.split("\n")[0]}); refusing to replace it: restore it, or remove it deliberately to have a new pair generated`);
  }
  if (key.asymmetricKeyType !== "rsa" || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new RuntimeFailure(`${where}: expected an RSA key of at least 2048 bits; refusing to replace it`);
  }
  return createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
}

function samePublicKey(a: string, b: string): boolean {
  try {
    const der = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" });
    return der(a).equals(der(b));
  } catch {
    return false;
  }
}

/**
 * Reuses every key that exists, byte for byte, and generates only what is absent. What it will not
 * do is regenerate a key that exists but looks wrong, or a private key whose public half exists: a
 * changed key takes every login node out of the Workbench cluster, so that is an operator's call.
 */
export async function reuseOrCreateKeys(existing: ExistingKeys, dir: string): Promise<{ keys: WorkbenchKeys; generated: string[] }> {
  const generated: string[] = [];
  let secureCookieKey = existing.secureCookieKey;
  if (secureCookieKey === null) {
    secureCookieKey = newSecureCookieKey();
    generated.push("secure-cookie-key");
  } else if (secureCookieKey.trim().length < 16) {
    throw new RuntimeFailure(`${dir}/secure-cookie-key: shorter than 16 characters; refusing to replace it (remove it deliberately to have one generated)`);
  }

  let { launcherPem, launcherPub } = existing;
  if (launcherPem === null && launcherPub !== null) {
    throw new RuntimeFailure(`${dir}/launcher.pub exists without launcher.pem; refusing to generate a new pair: restore launcher.pem, or remove launcher.pub deliberately`);
  }
  if (launcherPem === null) {
    const pair = await newLauncherKeyPair();
    launcherPem = pair.privatePem;
    launcherPub = pair.publicPem;
    generated.push("launcher.pem", "launcher.pub");
  } else {
    const derived = publicKeyOf(launcherPem, `${dir}/launcher.pem`);
    if (launcherPub === null) {
      launcherPub = derived;
      generated.push("launcher.pub");
    } else if (!samePublicKey(launcherPub, derived)) {
      throw new RuntimeFailure(`${dir}/launcher.pub does not match launcher.pem; refusing to replace either: restore the matching pair`);
    }
  }
  registerKey(secureCookieKey);
  registerKey(launcherPem);
  registerKey(launcherPub!);
  return { keys: { secureCookieKey, launcherPem, launcherPub: launcherPub! }, generated };
}
