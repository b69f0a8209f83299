import type { Root } from "../nodefs/root.js";
import { decodeUtf8, isMissing, UnexpectedFileError } from "../nodefs/files.js";
import { BadInputError } from "../errors.js";

/** sysfs, procfs and release files are small; a bigger one is not what it claims to be. */
const DEFAULT_FACT_FILE_BYTES = 4 * 1024 * 1024;

/** What happened when a node file was looked for; feeds error messages. */
export type LookResult = "read" | "missing" | `unreadable (${string})`;

/**
 * Reads node files through the root seam and remembers which ones were read, in the order they
 * were asked for (reads run concurrently; the order of `sources` must not depend on timing).
 * Facts never fail on an unreadable sysfs/procfs entry: any error reads as "absent", and the
 * reason is kept for messages.
 */
export class NodeReader {
  private readonly asked: Array<{ path: string; ok: boolean }> = [];
  private readonly results = new Map<string, LookResult>();

  constructor(readonly root: Root) {}

  /**
   * The file's text, or null when it is missing or unreadable. Only regular files of at most
   * `maxBytes` are read. `input`: the file is an input the node's role depends on (dna.json,
   * cfnconfig): a special file, one over the cap or bytes that are not UTF-8 are bad input (exit 2).
   */
  async text(nodePath: string, opts: { record?: boolean; maxBytes?: number; input?: boolean } = {}): Promise<string | null> {
    const slot = opts.record === false ? null : this.slot(nodePath);
    try {
      const buf = await this.root.readBytes(nodePath, { maxBytes: opts.maxBytes ?? DEFAULT_FACT_FILE_BYTES, shown: nodePath });
      if (buf === null) {
        this.results.set(nodePath, "missing");
        return null;
      }
      const text = opts.input ? decodeUtf8(buf, nodePath) : buf.toString("utf8");
      if (slot) slot.ok = true;
      this.results.set(nodePath, "read");
      return text;
    } catch (e) {
      if (opts.input && e instanceof UnexpectedFileError) throw new BadInputError(e.message, { file: nodePath });
      this.results.set(nodePath, isMissing(e) ? "missing" : `unreadable (${errCode(e)})`);
      return null;
    }
  }

  /** Entry names of a directory (sorted), or null when it does not exist or cannot be listed. */
  async list(nodeDir: string): Promise<string[] | null> {
    const slot = this.slot(nodeDir);
    try {
      const names = (await this.root.readdir(nodeDir)).sort();
      slot.ok = true;
      this.results.set(nodeDir, "read");
      return names;
    } catch (e) {
      this.results.set(nodeDir, isMissing(e) ? "missing" : `unreadable (${errCode(e)})`);
      return null;
    }
  }

  /** How the last look at this path went; undefined when it was never looked at. */
  result(nodePath: string): LookResult | undefined {
    return this.results.get(nodePath);
  }

  /** Node paths read successfully, in the order asked, without duplicates. */
  get sources(): string[] {
    return [...new Set(this.asked.filter((a) => a.ok).map((a) => a.path))];
  }

  private slot(path: string): { path: string; ok: boolean } {
    const s = { path, ok: false };
    this.asked.push(s);
    return s;
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}
