import { handlerFor, pathOf } from "./handlers.js";
import type { Change, EngineContext, Resource } from "./types.js";

/** Two declarations of one thing would make the result depend on order: refuse them. */
export function checkUnique(resources: Resource[]): void {
  const ids = new Set<string>();
  const paths = new Set<string>();
  for (const r of resources) {
    const id = handlerFor(r).id(r);
    if (ids.has(id)) throw new Error(`resource declared twice: ${id}`);
    ids.add(id);
    const p = pathOf(r);
    if (p !== null) {
      if (paths.has(p)) throw new Error(`path declared by two resources: ${p}`);
      paths.add(p);
    }
  }
}

/** Reads the current state of every resource and returns what differs, in declaration order. */
export async function plan(resources: Resource[], ctx: EngineContext): Promise<Change[]> {
  checkUnique(resources);
  const planned = await Promise.all(
    resources.map(async (resource) => {
      const h = handlerFor(resource);
      const p = await h.plan(resource, ctx);
      return p ? ({ id: h.id(resource), kind: resource.kind, resource, ...p } satisfies Change) : null;
    }),
  );
  return planned.filter((c): c is Change => c !== null);
}
