import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { sha256 } from "./fixture-packages.js";

const run = promisify(execFile);

/** A throwaway signing key (no passphrase) in its own GnuPG home, for fixture repositories signed as vendors sign theirs. */
export interface SigningKey {
  home: string;
  uid: string;
  /** The armored public key, as a vendor publishes it next to its repository. */
  publicKey: Buffer;
}

export async function createSigningKey(work: string): Promise<SigningKey> {
  const home = path.join(work, "gnupg");
  await fs.rm(home, { recursive: true, force: true });
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  const uid = "pwb-agent fixtures <fixtures@example.com>";
  const env = { ...process.env, GNUPGHOME: home };
  await run("gpg", ["--batch", "--quiet", "--passphrase", "", "--quick-gen-key", uid, "rsa2048", "sign", "never"], { env });
  const { stdout } = await run("gpg", ["--batch", "--armor", "--export", uid], { env, encoding: "buffer" });
  return { home, uid, publicKey: stdout };
}

/** Signs .rpm files in place (rpmsign with the key's GnuPG home, and the gpg on PATH: some rpm builds default to gpg2). */
export async function signRpms(key: SigningKey, files: string[]): Promise<void> {
  const gpg = await run("sh", ["-c", "command -v gpg"]).then((r) => r.stdout.trim());
  await run("rpmsign", ["--addsign", "--define", `__gpg ${gpg}`, "--define", `_gpg_name ${key.uid}`, "--define", `_gpg_path ${key.home}`, ...files], { env: { ...process.env, GNUPGHOME: key.home } });
}

/**
 * A flat apt repository's Release (checksums of its Packages index) with its signatures: InRelease
 * (clearsigned) and Release.gpg (detached), as apt verifies them against a `signed-by` key.
 */
export async function signedAptRelease(key: SigningKey, dir: string): Promise<Array<[string, Buffer]>> {
  const packages = await fs.readFile(path.join(dir, "Packages"));
  const release = Buffer.from(
    `Origin: pwb-agent fixtures\nLabel: pwb-agent fixtures\nArchitectures: amd64\nDate: ${new Date(0).toUTCString()}\nSHA256:\n ${sha256(packages)} ${packages.length} Packages\n`,
  );
  await fs.writeFile(path.join(dir, "Release"), release);
  const env = { ...process.env, GNUPGHOME: key.home };
  for (const [out, mode] of [["InRelease", "--clearsign"], ["Release.gpg", "--detach-sign"]] as const) {
    await fs.rm(path.join(dir, out), { force: true });
    await run("gpg", ["--batch", "--quiet", "--yes", "--local-user", key.uid, "--armor", mode, "--output", path.join(dir, out), path.join(dir, "Release")], { env });
  }
  return Promise.all(["Release", "InRelease", "Release.gpg"].map(async (f) => [f, await fs.readFile(path.join(dir, f))] as [string, Buffer]));
}
