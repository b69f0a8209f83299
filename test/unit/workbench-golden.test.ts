import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { workbenchComponent } from "../../agent/components/workbench/index.js";
import type { Resource } from "../../agent/engine/types.js";
import { exampleSite, factsFor, FAKE, headInputs, readyLoginInputs } from "../helpers/workbench.js";

/*
 * Golden files: everything the workbench component declares for a head and a login node from
 * cluster-config/site.example.yaml, one file per rendered file plus an index of every resource.
 * Regenerate after an intended change with:  UPDATE_GOLDEN=1 npx vitest run test/unit/workbench-golden.test.ts
 * and review the diff like code.
 */
const GOLDEN = "test/golden/workbench";
const update = process.env.UPDATE_GOLDEN === "1";

/** The fake secrets never land in the repository, not even fake ones: they read <redacted>. */
function redact(text: string): string {
  let out = text;
  for (const s of [FAKE.password, FAKE.secureCookieKey.trim(), FAKE.launcherPem.trim(), FAKE.launcherPub.trim()]) out = out.split(s).join("<redacted>");
  return out;
}

function describeResource(r: Resource): string {
  const mode = "mode" in r ? ` 0${r.mode.toString(8)}` : "";
  const owner = "owner" in r && r.owner ? ` ${r.owner}:${r.group ?? "-"}` : "";
  const flags = [
    "secret" in r && r.secret ? "secret" : "",
    "notifies" in r && r.notifies?.length ? `notifies=${r.notifies.join(",")}` : "",
  ].filter(Boolean);
  if (r.kind === "service") return `service ${r.name} enabled=${r.enabled}${r.active === undefined ? "" : ` active=${r.active}`}`;
  return `${r.kind} ${"path" in r ? r.path : ""}${mode}${owner}${flags.length ? ` [${flags.join(" ")}]` : ""}`;
}

/** index.txt and files/<node path> for every file resource: the node as the component wants it. */
function render(resources: Resource[]): Map<string, string> {
  const out = new Map<string, string>();
  out.set("index.txt", resources.map(describeResource).join("\n") + "\n");
  for (const r of resources) {
    if (r.kind !== "file") continue;
    const text = typeof r.content === "string" ? r.content : Buffer.from(r.content).toString("utf8");
    out.set(path.posix.join("files", r.path), redact(text));
  }
  return out;
}

async function compareWithGolden(name: string, rendered: Map<string, string>): Promise<void> {
  const dir = path.join(GOLDEN, name);
  if (update) {
    await fs.rm(dir, { recursive: true, force: true });
    for (const [rel, text] of rendered) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), text);
    }
  }
  const onDisk = new Map<string, string>();
  async function walk(rel: string): Promise<void> {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) await walk(r);
      else onDisk.set(r, await fs.readFile(path.join(dir, r), "utf8"));
    }
  }
  await walk("");
  expect([...rendered.keys()].sort()).toEqual([...onDisk.keys()].sort());
  for (const [rel, text] of rendered) expect(text, `${name}/${rel} differs from the golden file`).toBe(onDisk.get(rel));
}

describe("workbench golden files (cluster-config/site.example.yaml)", () => {
  const site = exampleSite();

  it("head node: the shared configuration, its directories, the manifest, services off", async () => {
    const resources = workbenchComponent.wants(factsFor("head"), site, headInputs());
    await compareWithGolden("head", render(resources));
  });

  it("login node: drop-ins, sysctl, limits, restart stamps, services on", async () => {
    const resources = workbenchComponent.wants(factsFor("login"), site, readyLoginInputs(site));
    await compareWithGolden("login", render(resources));
  });

  it("compute node: services off, nothing else", () => {
    expect(workbenchComponent.wants(factsFor("compute"), site, { role: "compute" }).map(describeResource)).toEqual([
      "service rstudio-launcher.service enabled=false active=false",
      "service rstudio-server.service enabled=false active=false",
    ]);
  });

  it("renders byte-identical output on every call", () => {
    const a = workbenchComponent.wants(factsFor("head"), site, headInputs());
    const b = workbenchComponent.wants(factsFor("head"), exampleSite(), headInputs());
    expect(b).toEqual(a);
  });
});
