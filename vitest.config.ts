import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

/** Mirrors esbuild's text loader: `import unit from "x.service"` yields the file's text. */
const unitText = {
  name: "unit-text",
  enforce: "pre" as const,
  load(id: string) {
    if (/\.(service|timer|path|socket|conf)$/.test(id)) {
      return `export default ${JSON.stringify(readFileSync(id, "utf8"))};`;
    }
    return null;
  },
};

export default defineConfig({
  plugins: [unitText],
  test: {
    include: ["test/**/*.test.ts"],
    // fast-check runs seeded everywhere (FC_SEED replays a failure's seed).
    setupFiles: ["test/setup/fast-check-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real daemons and containers: keep them from fighting over 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
