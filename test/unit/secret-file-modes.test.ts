import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BadInputError } from "../../agent/errors.js";
import { Root } from "../../agent/nodefs/root.js";
import { readRootOnlySecret } from "../../agent/secrets/file.js";
import { tempDir } from "../helpers/engine.js";

// Every permission bit outside the owner's triplet, alone and in the usual combinations: each one
// lets someone other than root read or replace the password, so each is refused.
const REFUSED_MODES = [0o640, 0o604, 0o660, 0o644, 0o602, 0o620, 0o610, 0o601, 0o606, 0o666, 0o700 | 0o070, 0o400 | 0o004, 0o400 | 0o040];
const ACCEPTED_MODES = [0o600, 0o400, 0o200, 0o700];
const SECRET = "s3cret-mode-value";

async function rootWith(mode: number, uid = 0) {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, "etc"), { recursive: true });
  const file = path.join(dir, "etc/pw");
  await fs.writeFile(file, SECRET + "\n");
  await fs.chown(file, uid, 0);
  await fs.chmod(file, mode);
  return { root: new Root(dir), dir, file };
}

async function refusal(root: Root, nodePath = "/etc/pw"): Promise<Error> {
  const err = await readRootOnlySecret(root, nodePath, "database.password.file").then(
    () => new Error("accepted"),
    (e: Error) => e,
  );
  expect(err.message).not.toContain(SECRET);
  return err;
}

describe("root-only secret files: every mode others can use is refused", () => {
  it.each(REFUSED_MODES.map((m) => [`0${m.toString(8)}`, m] as const))("refuses mode %s", async (shown, mode) => {
    const { root } = await rootWith(mode);
    const err = await refusal(root);
    expect(err).toBeInstanceOf(BadInputError);
    expect(err.message).toBe(
      `database.password.file (/etc/pw): expected a root-only file (owner root, mode 0600 or 0400); it is owned by uid 0 with mode ${shown}`,
    );
  });

  it.each(ACCEPTED_MODES.map((m) => [`0${m.toString(8)}`, m] as const))("reads mode %s (owner bits only)", async (_shown, mode) => {
    const { root } = await rootWith(mode);
    expect(await readRootOnlySecret(root, "/etc/pw", "f")).toBe(SECRET);
  });

  it("refuses a 0600 file owned by someone other than root, naming the uid", async () => {
    const { root } = await rootWith(0o600, 1000);
    const err = await refusal(root);
    expect(err).toBeInstanceOf(BadInputError);
    expect(err.message).toContain("it is owned by uid 1000 with mode 0600");
  });

  it("judges a link by what it leads to: a link to a group-readable file is refused", async () => {
    const { root, dir } = await rootWith(0o640);
    await fs.symlink("pw", path.join(dir, "etc/pw-link"));
    const err = await refusal(root, "/etc/pw-link");
    expect(err).toBeInstanceOf(BadInputError);
    expect(err.message).toContain("with mode 0640");
  });

  it("refuses a link leading outside the node's root, even to a 0600 root file", async () => {
    const outside = await rootWith(0o600);
    const { root, dir } = await rootWith(0o600);
    await fs.symlink(outside.file, path.join(dir, "etc/pw-out"));
    const err = await refusal(root, "/etc/pw-out");
    expect(err).toBeInstanceOf(BadInputError);
    expect(err.message).toContain("is a link leading outside the root");
  });

  it("refuses a directory where the file should be", async () => {
    const { root, dir } = await rootWith(0o600);
    await fs.mkdir(path.join(dir, "etc/pw-dir"), { mode: 0o700 });
    expect((await refusal(root, "/etc/pw-dir")).message).toBe("database.password.file (/etc/pw-dir): not a regular file");
  });
});
