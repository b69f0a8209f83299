import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../agent/engine/plan.js";
import type { ArchiveResource } from "../../agent/engine/types.js";
import { buildTarball, sha256 } from "../../agent/simulation/fixture-packages.js";
import { startLoopbackMirror } from "../../agent/simulation/mirror.js";
import { context, converge, tempDir } from "../helpers/engine.js";

describe("archive resource", () => {
  it("unpacks a verified archive whole, replaces it when the archive changes, and a bad one changes nothing", async () => {
    const work = await tempDir("pwb-archive-work-");
    const root = await tempDir("pwb-archive-root-");
    const v1 = await buildTarball(work, "tool-1", { "bin/tool": "#!/bin/sh\necho 1\n", "share/old-only": "old\n" });
    const v2 = await buildTarball(path.join(work, "2"), "tool-2", { "bin/tool": "#!/bin/sh\necho 2\n" });
    const mirror = await startLoopbackMirror(new Map([["/tool-1.tar.gz", v1], ["/tool-2.tar.gz", v2]]));
    const resource = (file: string, body: Buffer, sum = sha256(body)): ArchiveResource => ({
      kind: "archive", path: "/opt/tool", stripComponents: 1,
      fetch: { label: "tool", url: `${mirror.url}/${file}`, sha256: sum, path: `/var/cache/pwb-agent/artifacts/${file}` },
    });
    try {
      const first = await converge(root, [resource("tool-1.tar.gz", v1)], null);
      expect(first.changes.map((c) => [c.id, c.action])).toEqual([["archive:/opt/tool", "create"]]);
      expect(await fs.readFile(path.join(root, "opt/tool/bin/tool"), "utf8")).toContain("echo 1");
      expect((await fs.readFile(path.join(root, "opt/tool/.pwb-archive-sha256"), "utf8")).trim()).toBe(sha256(v1));
      // Converged: planning needs neither the archive nor the network (the cache may be cleaned).
      await fs.rm(path.join(root, "var/cache"), { recursive: true });
      expect(await plan([resource("tool-1.tar.gz", v1)], context(root, null))).toEqual([]);

      // A tampered download: nothing changes, the old tree stays.
      const tampered = Buffer.from(v2);
      tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 0xff;
      mirror.files.set("/tool-2.tar.gz", tampered);
      await expect(converge(root, [resource("tool-2.tar.gz", v2)], null)).rejects.toThrow(/sha256 mismatch/);
      expect(await fs.readFile(path.join(root, "opt/tool/bin/tool"), "utf8")).toContain("echo 1");

      // The new archive replaces the whole tree: no file of the old one is left behind.
      mirror.files.set("/tool-2.tar.gz", v2);
      const second = await converge(root, [resource("tool-2.tar.gz", v2)], null);
      expect(second.changes.map((c) => [c.id, c.action])).toEqual([["archive:/opt/tool", "update"]]);
      expect(await fs.readFile(path.join(root, "opt/tool/bin/tool"), "utf8")).toContain("echo 2");
      await expect(fs.access(path.join(root, "opt/tool/share/old-only"))).rejects.toThrow();
      expect((await fs.readdir(path.join(root, "opt"))).sort()).toEqual(["tool"]);

      // What a run killed mid-extract or between its renames left (other pids) goes with the next extract; a look-alike stays.
      for (const d of ["tool.tmp-4242/bin", "tool.old-4243/bin", "tool.tmp-x/bin"]) await fs.mkdir(path.join(root, "opt", d), { recursive: true });
      await fs.rm(path.join(root, "opt/tool"), { recursive: true });
      await converge(root, [resource("tool-2.tar.gz", v2)], null);
      expect((await fs.readdir(path.join(root, "opt"))).sort()).toEqual(["tool", "tool.tmp-x"]);
    } finally {
      await mirror.close();
    }
  });
});
