import { RuntimeFailure } from "../errors.js";
import type { Root } from "./root.js";

/** Resolves user and group names through the root's own /etc/passwd and /etc/group. */
export class Accounts {
  private users: Map<string, number> | null = null;
  private groups: Map<string, number> | null = null;

  constructor(private readonly root: Root) {}

  async uid(name: string): Promise<number> {
    this.users ??= await readIdFile(this.root, "/etc/passwd");
    return lookup(this.users, name, "user", "/etc/passwd");
  }

  async gid(name: string): Promise<number> {
    this.groups ??= await readIdFile(this.root, "/etc/group");
    return lookup(this.groups, name, "group", "/etc/group");
  }
}

function lookup(table: Map<string, number>, name: string, what: string, file: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const id = table.get(name);
  // The node lacks it (an image without the package that creates it): a runtime failure, not bad input.
  if (id === undefined) throw new RuntimeFailure(`${what} "${name}" not found in ${file}`);
  return id;
}

async function readIdFile(root: Root, file: string): Promise<Map<string, number>> {
  const text = (await root.readText(file)) ?? "";
  const table = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [name, , id] = line.split(":");
    if (name && id && /^\d+$/.test(id)) table.set(name, Number(id));
  }
  if (!table.has("root")) table.set("root", 0);
  return table;
}
