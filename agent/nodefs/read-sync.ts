import { closeSync, constants as fsc, fstatSync, openSync, readSync, statSync } from "node:fs";
import { isMissing, regularRead } from "./files.js";

/**
 * readRegular without the thread pool, for files on the node's own disks (a run reads a hundred or
 * more small ones; each async read is five round trips). Same guards: the type checked before the
 * open and on the descriptor (O_NONBLOCK), the read stopped one byte past the cap. Never for paths on
 * shared storage, where a hung server would stall the whole process, deadlines included.
 */
export function readRegularSync(realPath: string, o: { maxBytes?: number; shown?: string } = {}): Buffer | null {
  const { max, check, nextReadSize, grewPastCap } = regularRead(realPath, o);
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
      const want = nextReadSize(size, total);
      const buffer = Buffer.alloc(want);
      const bytesRead = readSync(fd, buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw grewPastCap();
      if (bytesRead < want) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
