import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A small stand-in package: its files (node path → content, executable) and an optional postinst script. */
export interface FixturePackage {
  name: string;
  version: string;
  files: Record<string, string>;
  postinst?: string;
  /** A Debian `Depends:` line (debs only): lets tests prove apt resolves dependencies. */
  depends?: string;
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A .deb built with dpkg-deb: lays files where the real package does, nothing else. */
export async function buildDeb(work: string, p: FixturePackage): Promise<Buffer> {
  const dir = path.join(work, `${p.name}-deb`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.join(dir, "DEBIAN"), { recursive: true });
  await fs.writeFile(
    path.join(dir, "DEBIAN/control"),
    `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: amd64\n${p.depends ? `Depends: ${p.depends}\n` : ""}Maintainer: pwb-agent fixtures <fixtures@example.com>\nDescription: stand-in for ${p.name}\n`,
  );
  if (p.postinst) await fs.writeFile(path.join(dir, "DEBIAN/postinst"), p.postinst, { mode: 0o755 });
  await writeTree(dir, p.files);
  const out = path.join(work, `${p.name}.deb`);
  await run("dpkg-deb", ["--root-owner-group", "-Zgzip", "-b", dir, out]);
  return fs.readFile(out);
}

/** An .rpm built with rpmbuild from a generated spec (version may carry a release: "1.4.5-1"). */
export async function buildRpm(work: string, p: FixturePackage): Promise<Buffer> {
  const top = path.join(work, `${p.name}-rpm`);
  await fs.rm(top, { recursive: true, force: true });
  const tree = path.join(top, "tree");
  await writeTree(tree, p.files);
  const [version, release = "1"] = p.version.split("-");
  const spec = [
    `Name: ${p.name}`, `Version: ${version}`, `Release: ${release}`, "Summary: stand-in", "License: MIT", "BuildArch: x86_64",
    "AutoReqProv: no", "%description", `stand-in for ${p.name}`,
    "%install", `cp -a ${tree}/. %{buildroot}/`,
    ...(p.postinst ? ["%post", p.postinst.replace(/^#!.*\n/, "")] : []),
    "%files", ...Object.keys(p.files).map((f) => `/${f.replace(/^\//, "")}`), "",
  ].join("\n");
  await fs.writeFile(path.join(top, "pkg.spec"), spec);
  await run("rpmbuild", ["-bb", "--quiet", "--define", `_topdir ${top}`, "--define", "__os_install_post %{nil}", "--define", "debug_package %{nil}", path.join(top, "pkg.spec")]);
  const dir = path.join(top, "RPMS", "x86_64");
  const [file] = await fs.readdir(dir);
  return fs.readFile(path.join(dir, file!));
}

/** A .tar.gz whose single top directory is `top`. */
export async function buildTarball(work: string, top: string, files: Record<string, string>): Promise<Buffer> {
  const dir = path.join(work, `${top}-tgz`);
  await fs.rm(dir, { recursive: true, force: true });
  await writeTree(path.join(dir, top), files);
  const out = path.join(work, `${top}.tar.gz`);
  await run("tar", ["-czf", out, "-C", dir, top]);
  return fs.readFile(out);
}

/** A .tar.gz with `files` at its top level (as a wheelhouse is packed: `tar -czf X -C wheelhouse .`). */
export async function buildFlatTarball(work: string, name: string, files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = path.join(work, `${name}-tgz`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  await writeTree(dir, files);
  const out = path.join(work, `${name}.tar.gz`);
  await run("tar", ["-czf", out, "-C", dir, "."]);
  return fs.readFile(out);
}

async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [p, text] of Object.entries(files)) {
    const real = path.join(dir, p);
    await fs.mkdir(path.dirname(real), { recursive: true });
    await fs.writeFile(real, text, { mode: 0o755 });
  }
}

/** A yum repository of the .rpm files in `dir` (createrepo_c): its files by path relative to `dir`. */
export async function buildRepository(dir: string): Promise<Array<[string, Buffer]>> {
  await run("createrepo_c", ["--quiet", dir]);
  const out: Array<[string, Buffer]> = [];
  for (const sub of ["", "repodata"]) {
    for (const f of await fs.readdir(path.join(dir, sub))) {
      const rel = sub ? `${sub}/${f}` : f;
      if ((await fs.stat(path.join(dir, rel))).isFile()) out.push([rel, await fs.readFile(path.join(dir, rel))]);
    }
  }
  return out;
}

/**
 * A flat apt repository of the .deb files in `dir`: its Packages index is each package's control fields
 * (dpkg-deb -f) plus where apt finds the file and its checksum, as dpkg-scanpackages writes them, so the
 * demo needs nothing beyond dpkg-deb.
 */
export async function buildAptRepository(dir: string): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  const stanzas: string[] = [];
  for (const f of (await fs.readdir(dir)).filter((f) => f.endsWith(".deb")).sort()) {
    const body = await fs.readFile(path.join(dir, f));
    const { stdout } = await run("dpkg-deb", ["-f", path.join(dir, f)]);
    stanzas.push(`${stdout.trimEnd()}\nFilename: ./${f}\nSize: ${body.length}\nSHA256: ${sha256(body)}\n`);
    out.push([f, body]);
  }
  const index = Buffer.from(stanzas.join("\n"));
  await fs.writeFile(path.join(dir, "Packages"), index);
  out.push(["Packages", index]);
  return out;
}
