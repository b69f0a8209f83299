import { createPrivateKey, createPublicKey } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Root } from "../../agent/nodefs/root.js";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { scrubSecrets } from "../../agent/log.js";
import { readRootOnlySecret } from "../../agent/secrets/file.js";
import { newLauncherKeyPair, reuseOrCreateKeys } from "../../agent/secrets/keys.js";
import { tempDir } from "../helpers/engine.js";

const NONE = { secureCookieKey: null, launcherPem: null, launcherPub: null };

describe("Workbench keys: generated once, reused forever", () => {
  it("generates what is absent: a 32-hex-digit cookie key and an RSA 2048 pair (PKCS#8 / SPKI PEM)", async () => {
    const { keys, generated } = await reuseOrCreateKeys(NONE, "/cfg");
    expect(generated).toEqual(["secure-cookie-key", "launcher.pem", "launcher.pub"]);
    expect(keys.secureCookieKey).toMatch(/^[0-9a-f]{32}\n$/);
    expect(keys.launcherPem.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
    expect(keys.launcherPub.startsWith("-----BEGIN PUBLIC KEY-----\n")).toBe(true);
    const priv = createPrivateKey(keys.launcherPem);
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(priv).export({ type: "spki", format: "pem" })).toBe(keys.launcherPub);
    // Registered for scrubbing the moment they exist.
    expect(scrubSecrets(`k=${keys.secureCookieKey.trim()}`)).toBe("k=<redacted>");
  });

  it("reuses existing keys byte for byte", async () => {
    const pair = await newLauncherKeyPair();
    const existing = { secureCookieKey: "my-own-cookie-key-0000000000\n", launcherPem: pair.privatePem, launcherPub: pair.publicPem };
    expect(await reuseOrCreateKeys(existing, "/cfg")).toEqual({ keys: existing, generated: [] });
  });

  it("derives a missing public key from the private one, never a new pair", async () => {
    const pair = await newLauncherKeyPair();
    const { keys, generated } = await reuseOrCreateKeys({ ...NONE, secureCookieKey: "x".repeat(32), launcherPem: pair.privatePem }, "/cfg");
    expect(generated).toEqual(["launcher.pub"]);
    expect(keys.launcherPem).toBe(pair.privatePem);
    expect(keys.launcherPub).toBe(pair.publicPem);
  });

  it("refuses, rather than replaces: a public key alone, a mismatched pair, a short cookie key, a small RSA key", async () => {
    const [a, b] = await Promise.all([newLauncherKeyPair(), newLauncherKeyPair()]);
    const cookie = "x".repeat(32);
    await expect(reuseOrCreateKeys({ ...NONE, launcherPub: a.publicPem }, "/cfg")).rejects.toThrow("launcher.pub exists without launcher.pem");
    await expect(reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: a.privatePem, launcherPub: b.publicPem }, "/cfg")).rejects.toThrow(
      "launcher.pub does not match launcher.pem; refusing to replace either",
    );
    await expect(reuseOrCreateKeys({ ...NONE, secureCookieKey: "short\n" }, "/cfg")).rejects.toThrow(RuntimeFailure);
    const { generateKeyPairSync } = await import("node:crypto");
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: small, launcherPub: null }, "/cfg")).rejects.toThrow("at least 2048 bits");
  });
});

describe("root-only secret files", () => {
  async function secretFile(content: string, mode: number) {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc"), { recursive: true });
    await fs.writeFile(path.join(dir, "etc/pw"), content, { mode });
    await fs.chmod(path.join(dir, "etc/pw"), mode);
    return new Root(dir);
  }

  it("reads a 0600 root file, dropping one trailing newline", async () => {
    expect(await readRootOnlySecret(await secretFile("s3cret-value-1\n", 0o600), "/etc/pw", "database.password.file")).toBe("s3cret-value-1");
    expect(await readRootOnlySecret(await secretFile("s3cret-value-2", 0o400), "/etc/pw", "f")).toBe("s3cret-value-2");
  });

  it("refuses a file others can read, naming the mode but not the secret", async () => {
    const err = await readRootOnlySecret(await secretFile("s3cret-value-3\n", 0o644), "/etc/pw", "database.password.file").catch((e: Error) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toBe(
      "database.password.file (/etc/pw): expected a root-only file (owner root, mode 0600 or 0400); it is owned by uid 0 with mode 0644",
    );
  });

  it("refuses multi-line and empty secrets without echoing them", async () => {
    const err = await readRootOnlySecret(await secretFile("line-one-secret\nline-two\n", 0o600), "/etc/pw", "f").catch((e: Error) => e);
    expect((err as Error).message).toBe("f (/etc/pw): the secret spans lines; expected a single line");
    await expect(readRootOnlySecret(await secretFile("\n", 0o600), "/etc/pw", "f")).rejects.toThrow("the secret is empty");
    await expect(readRootOnlySecret(await secretFile("short\n", 0o600), "/etc/pw", "f")).rejects.toThrow("shorter than 8 characters");
    await expect(readRootOnlySecret(await secretFile("", 0o600), "/etc/missing", "f")).rejects.toThrow("no such file");
  });
});
