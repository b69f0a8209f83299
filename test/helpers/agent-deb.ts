// The project's own .deb, as `npm run package` builds it, for the live tests to install. Packaging
// compresses a 100 MiB executable (tens of seconds on two cores), so the package is kept beside the
// test image's cache, keyed by what goes into it: the built executable and the packaging inputs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SEA = path.join(ROOT, "dist", "pwb-agent");
/** What the .deb is made of besides the executable. */
const INPUTS = ["packaging/package.mjs", "packaging/deb", "packaging/lib", "packaging/man", "units", "CHANGELOG.md", "package.json"];

function filesUnder(p: string): string[] {
  const full = path.join(ROOT, p);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [p];
  return readdirSync(full).sort().flatMap((n) => filesUnder(path.join(p, n)));
}

function debKey(): string {
  const h = createHash("sha256");
  h.update(readFileSync(SEA));
  for (const f of INPUTS.flatMap(filesUnder)) h.update(f).update("\0").update(readFileSync(path.join(ROOT, f)));
  return h.digest("hex").slice(0, 16);
}

const cacheDir = () => path.join(path.dirname(process.env.PWB_TEST_IMAGE_CACHE || "/var/cache/pwb-agent-test/images"), "debs");

/** The path of the .deb of the executable in dist/ (built by `npm test` or `npm run build`), packaged once per content. */
export async function agentDeb(): Promise<{ deb: string; cached: boolean; ms: number }> {
  const t0 = performance.now();
  if (!existsSync(SEA)) throw new Error("dist/pwb-agent is missing: run `npm run build` first (`npm test` does)");
  const key = debKey();
  const dir = path.join(cacheDir(), key);
  const found = () => (existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith(".deb")) : undefined);
  let cached = true;
  if (!found()) {
    cached = false;
    await fs.mkdir(cacheDir(), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ["packaging/package.mjs", "--skip-build", "--only", "deb", "--quiet", "--out", tmp], { cwd: ROOT, encoding: "utf8", timeout: 280_000 });
    if (r.status !== 0) throw new Error(`npm run package (deb) failed (rc ${r.status}): ${r.stderr}${r.error?.message ?? ""}`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    // Keep the three newest packages: each is tens of MiB.
    const all = readdirSync(cacheDir()).filter((n) => /^[0-9a-f]{16}$/.test(n)).map((n) => ({ n, t: statSync(path.join(cacheDir(), n)).mtimeMs }));
    for (const { n } of all.sort((a, b) => b.t - a.t).slice(3)) await fs.rm(path.join(cacheDir(), n), { recursive: true, force: true });
  }
  return { deb: path.join(dir, found()!), cached, ms: Math.round(performance.now() - t0) };
}
