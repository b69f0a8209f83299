import { fetchAll, type FetchPolicy } from "../artifacts/index.js";
import type { EngineContext } from "../engine/types.js";
import type { OsFacts } from "../facts/types.js";
import type { SiteConfig } from "../site/types.js";
import { checksumsFor, wantedArtifacts, type BakeArtifact } from "./artifacts.js";
import { installPackages, installTarball } from "./install.js";
import { isInstalled } from "./installed.js";
import { linkDefaults, type LinkResult } from "./links.js";
import { disableWorkbenchServices } from "./services.js";

export interface BakeOptions {
  site: SiteConfig;
  os: OsFacts;
  ctx: EngineContext;
  tty?: NodeJS.WriteStream | null;
  policy?: FetchPolicy;
  concurrency?: number;
}

export interface BakeArtifactReport {
  kind: string;
  version: string;
  file: string;
  url: string;
  /** skipped: that version is already installed; nothing fetched. */
  fetch: "cached" | "downloaded" | "resumed" | "skipped";
  install: "installed" | "deferred" | "skipped";
}

export interface BakeReport {
  artifacts: BakeArtifactReport[];
  links: LinkResult[];
  /** Workbench units bake disabled (enablement links the package made, removed). */
  servicesDisabled: string[];
  /** Commands recorded instead of run (simulated root). */
  deferred: string[][];
  durationMs: number;
}

/**
 * Bake: everything heavy, once, at AMI build time. Order matters for "a mismatch installs
 * nothing": every checksum is known and every download verified before the first install.
 */
export async function runBake(o: BakeOptions): Promise<BakeReport> {
  const t0 = performance.now();
  const { ctx } = o;
  const all = wantedArtifacts(o.site, o.os);
  const todo: BakeArtifact[] = [];
  for (const item of all) if (!(await isInstalled(item.spec, ctx.root, ctx.runner))) todo.push(item);
  ctx.log.info({ wanted: all.length, toInstall: todo.length }, "bake: artifacts resolved");

  const sums = await checksumsFor(o.site, todo);
  const fetched = await fetchAll(
    todo.map((item) => ({ name: item.spec.fileName, url: item.url, sha256: sums.get(item)!, dest: ctx.root.path(item.cachePath) })),
    { log: ctx.log, tty: o.tty ?? null, ...(o.policy ? { policy: o.policy } : {}), ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
  );

  const installed = await installPackages(todo.filter((i) => i.spec.format !== "tar.gz"), ctx.root, ctx.runner);
  for (const item of todo.filter((i) => i.spec.format === "tar.gz")) installed.set(item, await installTarball(item, ctx.root, ctx.runner));

  const workbenchInstalled = todo.some((i) => i.spec.kind === "workbench");
  const servicesDisabled = workbenchInstalled ? await disableWorkbenchServices(ctx) : [];
  const links = await linkDefaults(o.site, ctx.root);

  return {
    artifacts: all.map((item) => ({
      kind: item.spec.kind,
      version: item.spec.version,
      file: item.spec.fileName,
      url: item.url,
      fetch: fetched.outcomes[item.spec.fileName] ?? "skipped",
      install: installed.get(item) ?? "skipped",
    })),
    links,
    servicesDisabled,
    deferred: ctx.runner.deferred,
    durationMs: Math.round(performance.now() - t0),
  };
}

/** The human summary: one line per artifact, then links and services. */
export function renderBakeReport(r: BakeReport): string {
  const lines = r.artifacts.map((a) => `${a.kind.padEnd(9)} ${a.version.padEnd(20)} fetch ${a.fetch.padEnd(10)} install ${a.install}`);
  for (const l of r.links) lines.push(`link      ${l.link} -> ${l.target} (${l.outcome})`);
  if (r.servicesDisabled.length) lines.push(`services  disabled: ${r.servicesDisabled.join(", ")}`);
  const n = (what: string) => r.artifacts.filter((a) => a.install === what).length;
  lines.push(`bake: ${n("installed")} installed, ${n("deferred")} deferred, ${n("skipped")} already installed (${r.durationMs} ms)`);
  return lines.join("\n") + "\n";
}
