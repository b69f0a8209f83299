import { decodeUtf8 } from "../nodefs/files.js";
import type { Root } from "../nodefs/root.js";

/** A password or key is a line, not a file's worth: anything bigger is the wrong file. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;
import { BadInputError } from "../errors.js";
import { registerSecret } from "../log.js";
import { checkSecretValue } from "./value.js";

/**
 * A secret kept in a root-only file on the node (owner root, no group or other permissions). A
 * readable-by-others file is refused: the secret may already have leaked, and copying it into
 * Workbench's config would hide that. One trailing newline is dropped (editors add one).
 */
export async function readRootOnlySecret(root: Root, nodePath: string, field: string): Promise<string> {
  const from = `${field} (${nodePath})`;
  let st;
  try {
    st = await root.stat(nodePath);
    if (st === null) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BadInputError(`${from}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  if (!st.isFile()) throw new BadInputError(`${from}: not a regular file`);
  const mode = st.mode & 0o777;
  if (st.uid !== 0 || (mode & 0o077) !== 0) {
    throw new BadInputError(
      `${from}: expected a root-only file (owner root, mode 0600 or 0400); it is owned by uid ${st.uid} with mode 0${mode.toString(8)}`,
    );
  }
  let raw: string;
  try {
    const buf = await root.readBytes(nodePath, { maxBytes: MAX_SECRET_FILE_BYTES, shown: nodePath });
    if (buf === null) throw new BadInputError(`${from}: no such file`);
    raw = decodeUtf8(buf, nodePath);
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    throw new BadInputError(`${from}: ${(e as Error).message.replace(`${nodePath}: `, "")}`);
  }
  const value = raw.replace(/\r?\n$/, "");
  registerSecret(value);
  return checkSecretValue(value, from);
}
