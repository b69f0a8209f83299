import { closeSync, constants as fsc, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { DEFAULT_READ_CAP, isMissing, kindOf, UnexpectedFileError } from "./files.js";

/**
 * readRegular without the thread pool, for files on the node's own disks (a run reads a hundred or
 * more small ones; each async read is five round trips). Same guards: the type checked before the
 * open and on the descriptor (O_NONBLOCK), the read stopped one byte past the cap. Never for paths on
 * shared storage, where a hung server would stall the whole process, deadlines included.
 */
export function readRegularSync(realPath: string, o: { maxBytes?: number; shown?: string } = {}): Buffer | null {
  const max = o.maxBytes ?? DEFAULT_READ_CAP;
  const shown = o.shown ?? realPath;
  const check = (st: Stats) => {
    if (!st.isFile()) throw new UnexpectedFileError(`${shown}: ${kindOf(st)}, expected a regular file`, { path: shown });
    if (st.size > max) throw new UnexpectedFileError(`${shown}: ${st.size} bytes, more than the ${max} this file may hold`, { path: shown });
    return st;
  };
  let fd: number;
  try {
    check(statSync(realPath));
    fd = openSync(realPath, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
  try {
    const { size } = check(fstatSync(fd));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(max + 1 - total, Math.max(size + 1 - total, 4096), 1 << 20) || 1;
      const buffer = Buffer.alloc(want);
      const bytesRead = readSync(fd, buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw new UnexpectedFileError(`${shown}: more than the ${max} bytes this file may hold`, { path: shown });
      if (bytesRead < want) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
