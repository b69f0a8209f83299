import { generateKeyPairSync } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { scrubSecrets } from "../../agent/log.js";
import { Root } from "../../agent/nodefs/root.js";
import { readRootOnlySecret } from "../../agent/secrets/file.js";
import { newLauncherKeyPair, registerKey, reuseOrCreateKeys } from "../../agent/secrets/keys.js";
import { resolveSecret } from "../../agent/secrets/resolve.js";
import { checkSecretValue, MIN_SECRET_LENGTH } from "../../agent/secrets/value.js";
import { silentLogger } from "../../agent/log.js";
import { tempDir } from "../helpers/engine.js";

// The secrets module's edges, each rule at its boundary, found by mutation testing.

describe("secret values", () => {
  it("8 characters pass, 7 do not; the message names the minimum", () => {
    expect(MIN_SECRET_LENGTH).toBe(8);
    expect(checkSecretValue("12345678", "f")).toBe("12345678");
    expect(() => checkSecretValue("1234567", "f")).toThrow(new BadInputError("f: the secret is shorter than 8 characters"));
  });

  it("surrounding whitespace, a line break, a carriage return or a NUL each refuse it", () => {
    for (const v of [" leading-space", "trailing-space ", "\ttabbed-secret"]) {
      expect(() => checkSecretValue(v, "f")).toThrow(new BadInputError("f: the secret starts or ends with whitespace; expected none"));
    }
    for (const v of ["line-one\nline-two", "carriage\rreturn1", "nul-in\0-the-middle"]) {
      expect(() => checkSecretValue(v, "f")).toThrow(new BadInputError("f: the secret spans lines; expected a single line"));
    }
    expect(() => checkSecretValue("", "f")).toThrow(new BadInputError("f: the secret is empty"));
  });
});

describe("root-only secret files: reading", () => {
  async function rootWith(content: string | Buffer, name = "pw") {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc"), { recursive: true });
    await fs.writeFile(path.join(dir, "etc", name), content, { mode: 0o600 });
    await fs.chmod(path.join(dir, "etc", name), 0o600);
    return { root: new Root(dir), dir };
  }
  const err = (p: Promise<unknown>) => p.then(() => new Error("accepted"), (e: Error) => e);

  it("a missing file is 'no such file'; a link out of the root is refused for reading", async () => {
    const { root, dir } = await rootWith("s3cret-value-x");
    expect((await err(readRootOnlySecret(root, "/etc/none", "f"))).message).toBe("f (/etc/none): no such file");
    await fs.symlink("/proc/self/status", path.join(dir, "etc/out"));
    const e = await err(readRootOnlySecret(root, "/etc/out", "f"));
    expect(e).toBeInstanceOf(BadInputError);
    expect(e.message).toMatch(/^f \(\/etc\/out\): refusing to read \/etc\/out under root /);
  });

  it("more than 64 KiB is refused; not UTF-8 is refused, neither echoing content", async () => {
    const big = await rootWith("p".repeat(64 * 1024 + 1));
    const e = await err(readRootOnlySecret(big.root, "/etc/pw", "f"));
    expect(e).toBeInstanceOf(BadInputError);
    expect(e.message).toMatch(/^f \(\/etc\/pw\): .*65537 bytes, more than the 65536/);
    expect(e.message).not.toContain("/etc/pw: ");
    const exact = await rootWith("p".repeat(64 * 1024));
    expect(await readRootOnlySecret(exact.root, "/etc/pw", "f")).toHaveLength(64 * 1024);
    const bin = await rootWith(Buffer.from([0x70, 0x61, 0x73, 0x73, 0xff, 0x77, 0x6f, 0x72, 0x64]));
    const u = await err(readRootOnlySecret(bin.root, "/etc/pw", "f"));
    expect(u).toBeInstanceOf(BadInputError);
    expect(u.message).toMatch(/^f \(\/etc\/pw\): .*not valid UTF-8/);
    expect(u.message).not.toContain("/etc/pw: ");
  });

  it("drops one trailing newline (LF or CRLF) only: an inner line break still refuses it", async () => {
    expect(await readRootOnlySecret((await rootWith("crlf-secret-1\r\n")).root, "/etc/pw", "f")).toBe("crlf-secret-1");
    const inner = await err(readRootOnlySecret((await rootWith("abcdefgh\nijklmnop")).root, "/etc/pw", "f"));
    expect(inner.message).toBe("f (/etc/pw): the secret spans lines; expected a single line");
  });
});

describe("registerKey: the whole key and each body line", () => {
  it("scrubs body lines of 16 characters or more (CR dropped), not the armour lines nor short ones", () => {
    const body16 = "Q".repeat(15) + "1";
    const body15 = "W".repeat(14) + "2";
    const crlf = "E".repeat(19) + "3";
    registerKey(`-----BEGIN TEST KEY-----\n${body16}\n${crlf}\r\n${body15}\n-----END TEST KEY-----\n`);
    expect(scrubSecrets(`x ${body16} y`)).toBe("x <redacted> y");
    expect(scrubSecrets(`x ${crlf} y`)).toBe("x <redacted> y");
    expect(scrubSecrets(`x ${body15} y`)).toBe(`x ${body15} y`);
    expect(scrubSecrets("-----BEGIN TEST KEY-----")).toBe("-----BEGIN TEST KEY-----");
    expect(scrubSecrets("-----END TEST KEY-----")).toBe("-----END TEST KEY-----");
  });

  it("scrubs the whole key as stored, trailing newline or not", () => {
    const key = "-----BEGIN K-----\nab\n-----END K-----";
    registerKey(`${key}\n`);
    expect(scrubSecrets(`[${key}]`)).toBe("[<redacted>]");
  });
});

describe("Workbench keys: refusals", () => {
  const cookie = "c".repeat(16);
  it("a cookie key of 16 characters is kept; 15, or padding around a short one, is refused with its path", async () => {
    const pair = await newLauncherKeyPair();
    const keep = { secureCookieKey: cookie, launcherPem: pair.privatePem, launcherPub: pair.publicPem };
    expect((await reuseOrCreateKeys(keep, "/cfg")).generated).toEqual([]);
    for (const bad of ["c".repeat(15), "   short-key          \n"]) {
      await expect(reuseOrCreateKeys({ ...keep, secureCookieKey: bad }, "/cfg")).rejects.toThrow(
        new RuntimeFailure("/cfg/secure-cookie-key: shorter than 16 characters; refusing to replace it (remove it deliberately to have one generated)"),
      );
    }
  });

  it("an unreadable private key, a non-RSA key, an unreadable public key: each refused, nothing replaced", async () => {
    const pair = await newLauncherKeyPair();
    const e1 = await reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: "not a key", launcherPub: null }, "/cfg").catch((e: Error) => e);
    expect(e1).toBeInstanceOf(RuntimeFailure);
    expect((e1 as Error).message).toMatch(/^\/cfg\/launcher\.pem: not a readable private key \([^)]{8,}\); refusing to replace it/);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: ec, launcherPub: null }, "/cfg")).rejects.toThrow(
      new RuntimeFailure("/cfg/launcher.pem: expected an RSA key of at least 2048 bits; refusing to replace it"),
    );
    // A DSA key as long as an RSA one would be: refused for its type, not its length.
    const dsa = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: dsa, launcherPub: null }, "/cfg")).rejects.toThrow("expected an RSA key of at least 2048 bits");
    await expect(reuseOrCreateKeys({ secureCookieKey: cookie, launcherPem: pair.privatePem, launcherPub: "garbage" }, "/cfg")).rejects.toThrow(
      "/cfg/launcher.pub does not match launcher.pem; refusing to replace either",
    );
  });
});

describe("resolveSecret", () => {
  it("a file reference reads the file, naming the field; an SSM one without a region is bad input", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc"), { recursive: true });
    await fs.writeFile(path.join(dir, "etc/pw"), "resolved-secret\n", { mode: 0o600 });
    const root = new Root(dir);
    expect(await resolveSecret({ file: "/etc/pw" }, { root, region: null, field: "database.password", log: silentLogger() })).toBe("resolved-secret");
    await expect(resolveSecret({ file: "/etc/none" }, { root, region: null, field: "database.password", log: silentLogger() })).rejects.toThrow("database.password.file (/etc/none): no such file");
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      await expect(resolveSecret({ ssm: "/p" }, { root, region: null, field: "database.password", log: silentLogger() })).rejects.toThrow(
        new BadInputError("database.password.ssm: cannot tell the AWS region (no region in the node's facts, AWS_REGION unset)"),
      );
    } finally {
      if (saved[0] !== undefined) process.env.AWS_REGION = saved[0];
      if (saved[1] !== undefined) process.env.AWS_DEFAULT_REGION = saved[1];
    }
  });
});
