import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../agent/engine/plan.js";
import { RuntimeFailure } from "../../agent/errors.js";
import { planJson, renderPlan } from "../../agent/engine/render.js";
import type { Resource } from "../../agent/engine/types.js";
import { context, converge, tempDir } from "../helpers/engine.js";

const conf = (content: string, extra: Partial<Resource> = {}): Resource =>
  ({ kind: "file", path: "/etc/demo/app.conf", content, mode: 0o644, ...extra }) as Resource;

describe("file resource", () => {
  it("creates a file with its mode, then a second run changes nothing and writes 0 bytes", async () => {
    const dir = await tempDir();
    const first = await converge(dir, [conf("a=1\nb=2\n")]);
    expect(first.changes.map((c) => [c.id, c.action])).toEqual([["file:/etc/demo/app.conf", "create"]]);
    expect(first.changes[0]!.diff).toContain("+a=1");
    expect(first.report.filesWritten).toBe(1);
    expect(first.report.bytesWritten).toBe(8);
    const st = await fs.stat(path.join(dir, "etc/demo/app.conf"));
    expect(st.mode & 0o777).toBe(0o644);
    expect(await fs.readFile(path.join(dir, "etc/demo/app.conf"), "utf8")).toBe("a=1\nb=2\n");

    const second = await converge(dir, [conf("a=1\nb=2\n")]);
    expect(second.changes).toEqual([]);
    expect(second.report.filesWritten).toBe(0);
    expect(second.report.bytesWritten).toBe(0);
  });

  it("shows an exact unified diff for a content change", async () => {
    const dir = await tempDir();
    await converge(dir, [conf("a=1\nb=2\nc=3\n")]);
    const changes = await plan([conf("a=1\nb=20\nc=3\n")], context(dir));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toBe("update");
    const diffLines = changes[0]!.diff!.split("\n");
    expect(diffLines).toContain("-b=2");
    expect(diffLines).toContain("+b=20");
    expect(diffLines).toContain(" a=1");
    expect(renderPlan(changes)).toContain("~ file /etc/demo/app.conf  (update)");
  });

  it("fixes a wrong mode in place without rewriting the content", async () => {
    const dir = await tempDir();
    await converge(dir, [conf("x\n")]);
    const real = path.join(dir, "etc/demo/app.conf");
    const inode = (await fs.stat(real)).ino;
    await fs.chmod(real, 0o666);
    const { changes, report } = await converge(dir, [conf("x\n")]);
    expect(changes[0]!.summary).toEqual(["mode 0666 → 0644"]);
    expect(report.filesWritten).toBe(0);
    expect((await fs.stat(real)).ino).toBe(inode);
    expect((await fs.stat(real)).mode & 0o777).toBe(0o644);
  });

  it("sets the owner from the root's own /etc/passwd and /etc/group", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc"), { recursive: true });
    await fs.writeFile(path.join(dir, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nrstudio-server:x:4242:4243::/:/sbin/nologin\n");
    await fs.writeFile(path.join(dir, "etc/group"), "root:x:0:\nrstudio-server:x:4243:\n");
    const r = conf("k=v\n", { owner: "rstudio-server", group: "rstudio-server", mode: 0o600 } as Partial<Resource>);
    await converge(dir, [r]);
    const st = await fs.stat(path.join(dir, "etc/demo/app.conf"));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([4242, 4243, 0o600]);
    expect(await plan([r], context(dir))).toEqual([]);
  });

  it("names an unknown owner as a runtime failure (the node lacks it), not bad input", async () => {
    const dir = await tempDir();
    const err = await plan([conf("x", { owner: "nobody-here" } as Partial<Resource>)], context(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeFailure);
    expect((err as Error).message).toBe('user "nobody-here" not found in /etc/passwd');
  });

  it("never shows a secret's content in the plan, the diff or the JSON", async () => {
    const dir = await tempDir();
    const secret = "s3cr3t-Pa55word";
    await converge(dir, [conf(`password=old-${secret}\n`, { secret: true, mode: 0o600 } as Partial<Resource>)]);
    const changes = await plan([conf(`password=${secret}\n`, { secret: true, mode: 0o600 } as Partial<Resource>)], context(dir));
    const text = renderPlan(changes) + JSON.stringify(planJson(changes));
    expect(changes[0]!.diff).toBe("<redacted>");
    expect(text).toContain("<redacted>");
    expect(text).not.toContain(secret);
  });

  it("writes atomically: no temporary file is left and stale ones from a killed run are removed", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc/demo"), { recursive: true });
    const stale = path.join(dir, "etc/demo/.app.conf.pwb-tmp-999-deadbeef");
    await fs.writeFile(stale, "half a fi");
    await converge(dir, [conf("whole\n")]);
    expect(await fs.readdir(path.join(dir, "etc/demo"))).toEqual(["app.conf"]);
  });

  it("removes a killed run's temporary file even when the target itself is already right", async () => {
    const dir = await tempDir();
    await converge(dir, [conf("whole\n")]);
    await fs.writeFile(path.join(dir, "etc/demo/.app.conf.pwb-tmp-999-deadbeef"), "half");
    const { changes, report } = await converge(dir, [conf("whole\n")]);
    expect(changes[0]!.summary).toEqual(["remove 1 temporary file(s) left by an interrupted run"]);
    expect(report.filesWritten).toBe(0);
    expect(await fs.readdir(path.join(dir, "etc/demo"))).toEqual(["app.conf"]);
  });

  it("writes the temporary file in tmpDir when asked (directories read through a glob)", async () => {
    const dir = await tempDir();
    const r = conf("x\n", { path: "/opt/slurm/etc/plugstack.conf.d/a.conf", tmpDir: "/opt/slurm/etc/.pwb-tmp" } as Partial<Resource>);
    await converge(dir, [r]);
    expect(await fs.readdir(path.join(dir, "opt/slurm/etc/plugstack.conf.d"))).toEqual(["a.conf"]);
    expect(await fs.readdir(path.join(dir, "opt/slurm/etc/.pwb-tmp"))).toEqual([]);
  });

  it("refuses to replace a directory with a file", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "etc/demo/app.conf"), { recursive: true });
    await expect(plan([conf("x")], context(dir))).rejects.toThrow("is a directory");
  });

  it("describes binary content by hash, not bytes", async () => {
    const dir = await tempDir();
    const changes = await plan([conf("", { content: new Uint8Array([0, 1, 2, 255]) } as Partial<Resource>)], context(dir));
    expect(changes[0]!.diff).toMatch(/^binary: \(none\) → sha256:[0-9a-f]{12}$/);
  });
});

describe("dir, symlink and absent resources", () => {
  it("converges each and then reports nothing", async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, "old"), { recursive: true });
    await fs.writeFile(path.join(dir, "old/leftover"), "x");
    const resources: Resource[] = [
      { kind: "dir", path: "/opt/rstudio/shared-storage", mode: 0o1777 },
      { kind: "symlink", path: "/usr/local/bin/R", target: "/opt/R/4.4.1/bin/R" },
      { kind: "absent", path: "/old/leftover" },
    ];
    const first = await converge(dir, resources);
    expect(first.changes.map((c) => c.action)).toEqual(["create", "create", "delete"]);
    expect((await fs.stat(path.join(dir, "opt/rstudio/shared-storage"))).mode & 0o7777).toBe(0o1777);
    expect(await fs.readlink(path.join(dir, "usr/local/bin/R"))).toBe("/opt/R/4.4.1/bin/R");
    await expect(fs.lstat(path.join(dir, "old/leftover"))).rejects.toThrow();
    expect((await converge(dir, resources)).changes).toEqual([]);
  });

  it("repoints a symlink", async () => {
    const dir = await tempDir();
    await converge(dir, [{ kind: "symlink", path: "/usr/local/bin/R", target: "/opt/R/4.3.3/bin/R" }]);
    const { changes } = await converge(dir, [{ kind: "symlink", path: "/usr/local/bin/R", target: "/opt/R/4.4.1/bin/R" }]);
    expect(changes[0]!.summary).toEqual(["/opt/R/4.3.3/bin/R → /opt/R/4.4.1/bin/R"]);
    expect(await fs.readlink(path.join(dir, "usr/local/bin/R"))).toBe("/opt/R/4.4.1/bin/R");
  });

  it("refuses a plan that declares one path twice", async () => {
    const dir = await tempDir();
    await expect(
      plan([conf("a"), { kind: "symlink", path: "/etc/demo/app.conf", target: "/x" }], context(dir)),
    ).rejects.toThrow("path declared by two resources: /etc/demo/app.conf");
  });
});
