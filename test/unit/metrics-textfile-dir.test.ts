import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkTextfileDir } from "../../agent/node/doctor/metrics-dir.js";
import { DEBIAN_TEXTFILE_DIR, UPSTREAM_TEXTFILE_DIR, chooseTextfileDir, resolveTextfileDir, textfileFlag } from "../../agent/metrics/textfile-dir.js";
import { MetricsText, writeTextfile } from "../../agent/metrics/textfile.js";
import { Root } from "../../agent/nodefs/root.js";

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

const UBUNTU = 'ID=ubuntu\nVERSION_ID="24.04"\n';
const ROCKY = 'ID="rocky"\nVERSION_ID="9.4"\nID_LIKE="rhel centos fedora"\n';
/** Debian's prometheus-node-exporter unit, as the package ships it. */
const DEBIAN_UNIT = "[Service]\nEnvironmentFile=/etc/default/prometheus-node-exporter\nExecStart=/usr/bin/prometheus-node-exporter $ARGS\n";

async function node(files: Record<string, string>): Promise<Root> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-textfile-dir-"));
  made.push(dir);
  for (const [p, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await fs.writeFile(path.join(dir, p), text);
  }
  return new Root(dir);
}

describe("the metrics textfile directory", () => {
  it("reads the exporter's flag from live lines only, with = or a space, quoted or not", () => {
    expect(textfileFlag('ARGS="--web.listen-address=:9100 --collector.textfile.directory=/srv/prom"\n')).toBe("/srv/prom");
    expect(textfileFlag("ExecStart=/usr/local/bin/node_exporter --collector.textfile.directory /var/lib/ne\n")).toBe("/var/lib/ne");
    expect(textfileFlag("OPTIONS='--collector.textfile.directory=\"/a b\"'\n")).toBe("/a b");
    expect(textfileFlag('# ARGS="--collector.textfile.directory=/old"\nARGS=""\n')).toBeNull();
  });

  it("is the site's, else the exporter's flag, else the Debian/Ubuntu package's default, else the upstream convention", () => {
    const none = { unit: null, packaged: false, flag: null };
    const debPkg = { unit: "/usr/lib/systemd/system/prometheus-node-exporter.service", packaged: true, flag: null };
    const upstream = { unit: "/etc/systemd/system/node_exporter.service", packaged: false, flag: null };
    expect(chooseTextfileDir("debian", debPkg, "/site/dir").dir).toBe("/site/dir");
    expect(chooseTextfileDir("debian", { ...debPkg, flag: { dir: "/flag", file: "/etc/default/prometheus-node-exporter" } }, null).dir).toBe("/flag");
    expect(chooseTextfileDir("debian", debPkg, null).dir).toBe(DEBIAN_TEXTFILE_DIR);
    expect(chooseTextfileDir("debian", none, null).dir).toBe(DEBIAN_TEXTFILE_DIR);
    expect(chooseTextfileDir("debian", upstream, null).dir).toBe(UPSTREAM_TEXTFILE_DIR);
    expect(chooseTextfileDir("rhel", none, null).dir).toBe(UPSTREAM_TEXTFILE_DIR);
    expect(chooseTextfileDir(null, none, undefined).dir).toBe(UPSTREAM_TEXTFILE_DIR);
  });

  it("is found on the node: the package's unit and its settings file, or an upstream unit's ExecStart", async () => {
    const ubuntu = await node({ "/etc/os-release": UBUNTU, "/usr/lib/systemd/system/prometheus-node-exporter.service": DEBIAN_UNIT, "/etc/default/prometheus-node-exporter": 'ARGS=""\n' });
    expect(await resolveTextfileDir(ubuntu)).toMatchObject({ dir: DEBIAN_TEXTFILE_DIR, exporterReads: DEBIAN_TEXTFILE_DIR });
    const flagged = await node({ "/etc/os-release": UBUNTU, "/lib/systemd/system/prometheus-node-exporter.service": DEBIAN_UNIT, "/etc/default/prometheus-node-exporter": 'ARGS="--collector.textfile.directory=/srv/metrics"\n' });
    expect(await resolveTextfileDir(flagged)).toMatchObject({ dir: "/srv/metrics", why: "--collector.textfile.directory in /etc/default/prometheus-node-exporter" });
    const rocky = await node({ "/etc/os-release": ROCKY, "/etc/systemd/system/node_exporter.service": "[Service]\nExecStart=/usr/local/bin/node_exporter --collector.textfile.directory=/var/lib/ne\n" });
    expect(await resolveTextfileDir(rocky)).toMatchObject({ dir: "/var/lib/ne", exporterReads: "/var/lib/ne" });
    expect(await resolveTextfileDir(await node({ "/etc/os-release": ROCKY }))).toMatchObject({ dir: UPSTREAM_TEXTFILE_DIR, exporterReads: null });
  });

  it("is where writeTextfile writes, the site's override first", async () => {
    const ubuntu = await node({ "/etc/os-release": UBUNTU, "/usr/lib/systemd/system/prometheus-node-exporter.service": DEBIAN_UNIT });
    const text = new MetricsText().gauge("pwb_agent_test", "a test", 1);
    expect(await writeTextfile(ubuntu, "pwb_agent.prom", text, undefined)).toBe(`${DEBIAN_TEXTFILE_DIR}/pwb_agent.prom`);
    expect(await ubuntu.readText(`${DEBIAN_TEXTFILE_DIR}/pwb_agent.prom`)).toContain("pwb_agent_test 1\n");
    expect(await writeTextfile(ubuntu, "pwb_agent.prom", text, "/srv/prom")).toBe("/srv/prom/pwb_agent.prom");
  });

  it("is checked by doctor: ok when the exporter reads it and the apply wrote there, fail when it reads another, warn without an exporter", async () => {
    const ubuntu = await node({ "/etc/os-release": UBUNTU, "/usr/lib/systemd/system/prometheus-node-exporter.service": DEBIAN_UNIT });
    // Agreeing is not enough: the apply's textfile must be where the exporter looks.
    expect(await checkTextfileDir(ubuntu, undefined)).toMatchObject({ status: "warn", detail: expect.stringContaining("no apply recorded") });
    await writeTextfile(ubuntu, "pwb_agent.prom", new MetricsText().gauge("pwb_agent_test", "a test", 1), undefined);
    expect(await checkTextfileDir(ubuntu, undefined)).toMatchObject({ status: "ok" });
    const mismatch = await checkTextfileDir(ubuntu, UPSTREAM_TEXTFILE_DIR);
    expect(mismatch).toMatchObject({ status: "fail" });
    expect(mismatch.detail).toContain(`reads ${DEBIAN_TEXTFILE_DIR}`);
    // No exporter: skipped on a simulated root (a tree, not this machine); live, a warning (tested on a live node).
    expect(await checkTextfileDir(await node({ "/etc/os-release": ROCKY }), undefined)).toMatchObject({ status: "skipped" });
    const unflagged = await node({ "/etc/os-release": ROCKY, "/etc/systemd/system/node_exporter.service": "[Service]\nExecStart=/usr/local/bin/node_exporter\n" });
    expect(await checkTextfileDir(unflagged, undefined)).toMatchObject({ status: "warn" });
  });
});
