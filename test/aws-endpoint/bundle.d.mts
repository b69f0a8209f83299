/** Bundles a TypeScript entry into one ESM file under a temp dir; resolves to its path. */
export function bundleTs(entry: string, name?: string): Promise<string>;
/** Bundles a module written inline, resolved from the repo root; resolves to its path. */
export function bundleSource(contents: string, name: string): Promise<string>;
