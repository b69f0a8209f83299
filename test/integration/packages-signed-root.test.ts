import { spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { PackagesResource } from "../../agent/engine/types.js";
import { buildAptRepository, buildDeb, buildRepository, buildRpm } from "../../agent/simulation/fixture-packages.js";
import { startLoopbackMirror } from "../../agent/simulation/mirror.js";
import { createSigningKey, signedAptRelease, signRpms, type SigningKey } from "../../agent/simulation/signed-repo.js";
import { apply } from "../../agent/engine/apply.js";
import { plan } from "../../agent/engine/plan.js";
import { context, converge, tempDir } from "../helpers/engine.js";

/*
 * Signed repositories (as NVIDIA's CUDA ones are) into simulated roots: the signature is checked against
 * the key the ROOT holds (gpgkey=file:// for dnf, signed-by for apt), never this machine's files. A repository
 * signed by another key is refused and nothing is installed.
 */
const KEY_IN_ROOT = { rhel: "/etc/pki/rpm-gpg/RPM-GPG-KEY-fixture", debian: "/usr/share/keyrings/fixture.asc" } as const;

async function signedMirror(work: string, family: "rhel" | "debian", key: SigningKey) {
  const repo = path.join(work, "repo");
  await fs.mkdir(repo, { recursive: true });
  const pkg = { name: "pwb-fixture-signed", version: "1.0-1", files: { "usr/bin/pwb-fixture-signed": "#!/bin/sh\necho signed\n" } };
  let files: Array<[string, Buffer]>;
  if (family === "rhel") {
    const rpm = path.join(repo, "pwb-fixture-signed-1.0-1.x86_64.rpm");
    await fs.writeFile(rpm, await buildRpm(work, pkg));
    await signRpms(key, [rpm]);
    files = await buildRepository(repo);
  } else {
    await fs.writeFile(path.join(repo, "pwb-fixture-signed_1.0-1_amd64.deb"), await buildDeb(work, pkg));
    files = [...(await buildAptRepository(repo)), ...(await signedAptRelease(key, repo))];
  }
  return startLoopbackMirror(new Map(files.map(([rel, body]) => [`/signed/${rel}`, body])));
}

type Family = "rhel" | "debian";

const installed = (family: Family, root: string) => (family === "rhel"
  ? spawnSync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-q", "pwb-fixture-signed"], { encoding: "utf8" })
  : spawnSync("dpkg-query", [`--admindir=${root}/var/lib/dpkg`, "-W", "pwb-fixture-signed"], { encoding: "utf8" })).status === 0;

async function rootTrusting(family: Family, mirrorUrl: string, key: SigningKey): Promise<string> {
  const root = await tempDir(`pwb-signed-root-${family}-`);
  await fs.mkdir(path.dirname(path.join(root, KEY_IN_ROOT[family])), { recursive: true });
  await fs.writeFile(path.join(root, KEY_IN_ROOT[family]), key.publicKey);
  if (family === "rhel") {
    await fs.mkdir(path.join(root, "etc/yum.repos.d"), { recursive: true });
    await fs.writeFile(path.join(root, "etc/yum.repos.d/signed.repo"), `[signed]\nname=signed fixture\nbaseurl=${mirrorUrl}/signed/\nenabled=1\ngpgcheck=1\ngpgkey=file://${KEY_IN_ROOT.rhel}\n`);
  } else {
    await fs.mkdir(path.join(root, "etc/apt/sources.list.d"), { recursive: true });
    await fs.writeFile(path.join(root, "etc/apt/sources.list.d/signed.list"), `deb [signed-by=${KEY_IN_ROOT.debian}] ${mirrorUrl}/signed/ /\n`);
  }
  return root;
}

describe.each(["rhel", "debian"] as const)("a signed repository into a simulated %s root", (family) => {
  it("installs with the root's key, refuses another key's signature; dnf's cache stays at the root's /var/cache/dnf", async () => {
    const work = await tempDir("pwb-signed-work-");
    const [signer, stranger] = [await createSigningKey(path.join(work, "a")), await createSigningKey(path.join(work, "b"))];
    const mirror = await signedMirror(work, family, signer);
    const resource: PackagesResource = { kind: "packages", label: "signed", items: [{ name: "pwb-fixture-signed" }] };
    try {
      const trusted = await rootTrusting(family, mirror.url, signer);
      await converge(trusted, [resource], family);
      expect(installed(family, trusted)).toBe(true);
      expect(await fs.readFile(path.join(trusted, "usr/bin/pwb-fixture-signed"), "utf8")).toContain("signed");
      if (family === "rhel") {
        expect(existsSync(path.join(trusted, "var/cache/dnf"))).toBe(true);
        expect(existsSync(path.join(trusted, trusted))).toBe(false);
      }

      const untrusted = await rootTrusting(family, mirror.url, stranger);
      await expect(converge(untrusted, [resource], family)).rejects.toThrow(family === "rhel" ? /signature|GPG|key/i : /NO_PUBKEY|not signed/);
      expect(installed(family, untrusted)).toBe(false);
      expect(existsSync(path.join(untrusted, "usr/bin/pwb-fixture-signed"))).toBe(false);
    } finally {
      await mirror.close();
    }
  });
});

describe("dnf's history on a simulated rhel root", () => {
  const family = "rhel" as const;

  it("a first dnf run killed while it made its history database: the next run replaces that half-made database and installs", async () => {
    const work = await tempDir("pwb-dnf-history-work-");
    const signer = await createSigningKey(path.join(work, "a"));
    const mirror = await signedMirror(work, family, signer);
    const resource: PackagesResource = { kind: "packages", label: "signed", items: [{ name: "pwb-fixture-signed" }] };
    try {
      const root = await rootTrusting(family, mirror.url, signer);
      const history = path.join(root, "var/lib/dnf/history.sqlite");
      // The kill: dnf had created its database file and one table of many when it died.
      const killed = context(root, family);
      const real = killed.runner;
      killed.runner = {
        deferred: real.deferred,
        async run(argv, opts) {
          if (argv[0] !== "dnf") return real.run(argv, opts);
          await fs.mkdir(path.dirname(history), { recursive: true });
          expect(spawnSync("python3", ["-c", "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE trans (id INTEGER)')", history]).status).toBe(0);
          throw new Error("killed");
        },
      };
      await expect(apply(await plan([resource], killed), [resource], killed)).rejects.toThrow("killed");
      expect(installed(family, root)).toBe(false);
      await converge(root, [resource], family);
      expect(installed(family, root)).toBe(true);
      expect(existsSync(path.join(root, "var/lib/dnf/.pwb-agent-first-transaction"))).toBe(false);
      // A whole history now: the next transaction records into it.
      expect((await fs.stat(history)).size).toBeGreaterThan(4096);
    } finally {
      await mirror.close();
    }
  });
});
