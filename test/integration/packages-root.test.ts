import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../agent/engine/plan.js";
import type { PackagesResource } from "../../agent/engine/types.js";
import { buildDeb, buildRpm, sha256 } from "../../agent/sim/fixture-packages.js";
import { startLoopbackMirror } from "../../agent/sim/mirror.js";
import { context, converge, tempDir } from "../helpers/engine.js";

/*
 * The packages resource against real package managers on simulated roots: rpm --root / dpkg --root install
 * verified files, and every query reads the root's own database (never this machine's, never a database
 * the query itself would create).
 */
describe.each([
  { family: "rhel" as const, build: buildRpm, db: "var/lib/rpm", file: "pwb-fixture-tool-2.0-1.x86_64.rpm", version: "2.0-1", old: "1.0-1" },
  { family: "debian" as const, build: buildDeb, db: "var/lib/dpkg/status", file: "pwb-fixture-tool_2.0_amd64.deb", version: "2.0", old: "1.0" },
])("packages resource on a simulated $family root", ({ family, build, db, file, version, old }) => {
  it("plans from the root's own database, installs the verified file, upgrades, and never touches this machine's database", async () => {
    const work = await tempDir("pwb-pkg-work-");
    const root = await tempDir("pwb-pkg-root-");
    const body = await build(work, { name: "pwb-fixture-tool", version, files: { "usr/bin/pwb-fixture-tool": `#!/bin/sh\necho ${version}\n` } });
    const mirror = await startLoopbackMirror(new Map([[`/${file}`, body]]));
    try {
      const resource: PackagesResource = {
        kind: "packages", label: "fixture",
        items: [{ name: "pwb-fixture-tool", version, fetch: { label: "fixture tool", url: `${mirror.url}/${file}`, sha256: sha256(body), path: `/var/cache/pwb-agent/packages/${file}` } }],
      };
      // Plan on a root without a package database: "install", and the query made no database.
      const first = await plan([resource], context(root, family));
      expect(first.map((c) => [c.id, c.summary])).toEqual([["packages:fixture", [`pwb-fixture-tool ${version} (from ${mirror.url}/${file})`]]]);
      await expect(fs.access(path.join(root, db))).rejects.toThrow();

      const { report } = await converge(root, [resource], family);
      expect(report).toMatchObject({ changes: 1, packagesInstalled: 1, downloads: 1 });
      expect(await fs.readFile(path.join(root, "usr/bin/pwb-fixture-tool"), "utf8")).toContain(version);
      // Installed in the root's database only.
      const host = family === "rhel" ? spawnSync("rpm", ["-q", "pwb-fixture-tool"]) : spawnSync("dpkg-query", ["-W", "pwb-fixture-tool"]);
      expect(host.status).not.toBe(0);
      expect(await plan([resource], context(root, family))).toEqual([]);

      // Another version wanted: planned as an upgrade from what the root has.
      const older = { ...resource, items: [{ name: "pwb-fixture-tool", version: old }] };
      expect((await plan([older], context(root, family)))[0]?.summary).toEqual([`pwb-fixture-tool ${version} → ${old}`]);
      expect(mirror.requests).toEqual([`/${file}`]);
    } finally {
      await mirror.close();
    }
  });
});
