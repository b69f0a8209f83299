import { describe, expect, it } from "vitest";
import { featuresFor } from "../../agent/components/workbench/features.js";
import { keyValueFile, sectionedFile } from "../../agent/components/workbench/config/ini-write.js";
import { parseConfig, topLevel } from "../../agent/components/workbench/config/ini-read.js";
import { workbenchComponent } from "../../agent/components/workbench/index.js";
import { buildManifest, parseManifest, renderManifest } from "../../agent/components/workbench/config/manifest.js";
import { readersOf } from "../../agent/components/workbench/paths.js";
import { profilesFor } from "../../agent/components/workbench/head/profiles.js";
import { sharedFiles } from "../../agent/components/workbench/head/render.js";
import type { FileResource, Resource } from "../../agent/engine/types.js";
import { parseSiteText } from "../../agent/site/load.js";
import type { SiteConfig } from "../../agent/site/types.js";
import { exampleSiteText, factsFor, headInputs, MINIMAL } from "../helpers/workbench.js";

const site = (text: string) => parseSiteText(text, "site.yaml");
const filesOf = (s: SiteConfig) => new Map(sharedFiles(s, headInputs()).map((f) => [f.name, String(f.content)]));

/** Lines removed and added per file between two renders (a set difference, enough for one-line edits). */
function changedLines(a: SiteConfig, b: SiteConfig): Record<string, { removed: string[]; added: string[] }> {
  const [fa, fb] = [filesOf(a), filesOf(b)];
  const out: Record<string, { removed: string[]; added: string[] }> = {};
  for (const name of new Set([...fa.keys(), ...fb.keys()])) {
    const la = (fa.get(name) ?? "").split("\n");
    const lb = (fb.get(name) ?? "").split("\n");
    const removed = la.filter((l) => !lb.includes(l));
    const added = lb.filter((l) => !la.includes(l));
    if (removed.length || added.length) out[name] = { removed, added };
  }
  return out;
}

describe("one site field changes exactly the lines that carry it", () => {
  const example = site(exampleSiteText());
  const edit = (from: string, to: string) => site(exampleSiteText().replace(from, to));

  it("workbench.url → launcher-sessions-callback-address only", () => {
    expect(changedLines(example, edit("\n  url: https://workbench.example.com", "\n  url: https://rstudio.example.org"))).toEqual({
      "rserver.conf": { removed: ["launcher-sessions-callback-address=https://workbench.example.com"], added: ["launcher-sessions-callback-address=https://rstudio.example.org"] },
    });
  });

  it("database.port → the connection-uri line of database.conf only", () => {
    expect(changedLines(example, edit("  port: 5432", "  port: 5433"))).toEqual({
      "database.conf": {
        removed: ["connection-uri=postgresql://pwb@pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/pwb?sslmode=require"],
        added: ["connection-uri=postgresql://pwb@pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com:5433/pwb?sslmode=require"],
      },
    });
  });

  it("workbench.launcherPort → rserver.conf's launcher-port and launcher.conf's port", () => {
    expect(changedLines(example, edit("launcherPort: 5559", "launcherPort: 5560"))).toEqual({
      "rserver.conf": { removed: ["launcher-port=5559"], added: ["launcher-port=5560"] },
      "launcher.conf": { removed: ["port=5559"], added: ["port=5560"] },
    });
  });

  it("slurm.serviceUser → one line in each cluster's plugin file", () => {
    const change = { removed: ["slurm-service-user=slurm"], added: ["slurm-service-user=slurmsvc"] };
    expect(changedLines(example, edit("serviceUser: slurm", "serviceUser: slurmsvc"))).toEqual({
      "launcher.slurminteractive.conf": change,
      "launcher.slurmbatch.conf": change,
    });
  });

  it("and the manifest records the new hash of exactly that file", () => {
    const changed = edit("\n  url: https://workbench.example.com", "\n  url: https://rstudio.example.org");
    const [a, b] = [example, changed].map((s) => buildManifest(s, sharedFiles(s, headInputs())).files);
    const differing = a!.filter((e, i) => e.sha256 !== b![i]!.sha256).map((e) => e.name);
    expect(differing).toEqual(["rserver.conf"]);
  });
});

describe("keys rendered by Workbench version", () => {
  const at = (version: string, extra = "") => filesOf(site(MINIMAL.replace("2024.12.1+563.pro5", version) + extra));

  it("2023.09: container-environment forwarding, code-server path, no positron or nginx.worker.conf", () => {
    const f = at("2023.09.1+494.pro2");
    expect(f.get("rserver.conf")).toContain("launcher-sessions-forward-container-environment=1\n");
    expect(f.get("vscode.conf")).toContain("exe=/usr/lib/rstudio-server/bin/code-server/bin/code-server\n");
    expect(f.has("positron.conf")).toBe(false);
    expect(f.has("nginx.worker.conf")).toBe(false);
    expect(f.get("load-balancer")).toBe("balancer=sessions\ndelete-node-on-exit=1\n");
  });

  it("2024.09: launcher-sessions-forward-environment and PWB Code Server", () => {
    const f = at("2024.09.0+375.pro2");
    expect(f.get("rserver.conf")).toContain("launcher-sessions-forward-environment=1\n");
    expect(f.get("rserver.conf")).not.toContain("forward-container-environment");
    expect(f.get("vscode.conf")).toContain("/pwb-code-server/bin/code-server");
    expect(f.has("nginx.worker.conf")).toBe(true);
    expect(f.has("positron.conf")).toBe(false);
  });

  it("2024.12: positron.conf", () => {
    expect(at("2024.12.1+563.pro5").get("positron.conf")).toMatch(/\nenabled=0\nsession-timeout-kill-hours=8\n$/);
  });

  it("every IDE's idle timeout is written, at Posit's shipped defaults unless the site sets it (compiled defaults differ: VS Code and Positron never time out)", () => {
    const f = at("2024.12.1+563.pro5");
    expect(f.get("rsession.conf")).toMatch(/\nsession-timeout-minutes=480\n$/);
    expect(f.get("jupyter.conf")).toContain("\nsession-cull-minutes=360\nsession-shutdown-minutes=120\n");
    expect(f.get("vscode.conf")).toMatch(/\nsession-timeout-kill-hours=8\n$/);
    expect(f.get("positron.conf")).toContain("\nsession-timeout-kill-hours=8\n");
    const ides = "  ides:\n    rstudio: { sessionTimeoutMinutes: 0 }\n    jupyter: { cullMinutes: 30, shutdownMinutes: 10 }\n    vscode: { enabled: false, timeoutKillHours: 2 }\n    positron: { timeoutKillHours: 0 }\n";
    const set = filesOf(site(MINIMAL.replace("workbench:\n", `workbench:\n${ides}`)));
    expect(set.get("rsession.conf")).toContain("session-timeout-minutes=0\n");
    expect(set.get("jupyter.conf")).toContain("session-cull-minutes=30\nsession-shutdown-minutes=10\n");
    // A disabled IDE keeps its timeout: turning it on again must not bring back the compiled default.
    expect(set.get("vscode.conf")).toBe(`${set.get("vscode.conf")!.split("\n\n")[0]}\n\nenabled=0\nsession-timeout-kill-hours=2\n`);
    expect(set.get("positron.conf")).toContain("session-timeout-kill-hours=0\n");
    expect(() => site(MINIMAL.replace("workbench:\n", "workbench:\n  ides:\n    vscode: { timeoutKillHours: 1.5 }\n"))).toThrow(/workbench\.ides\.vscode\.timeoutKillHours: expected a whole number of hours/);
  });

  it("GPU partitions enable GPUs; gpu-types only when the site names GRES types", () => {
    const gpu = "  partitions: [{ name: interactive, instanceType: m6i.xlarge }, { name: gpu, instanceType: g5.xlarge, gpus: { count: 1, type: a10g } }]";
    const f = filesOf(site(MINIMAL.replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]", gpu)));
    expect(f.get("launcher.slurminteractive.conf")).toContain("enable-gpus=1\ngpu-types=a10g\ndefault-gpu-brand=nvidia\n");
    expect(filesOf(site(MINIMAL)).get("launcher.slurminteractive.conf")).not.toContain("gpu");
    expect(featuresFor("2023.12.1+402.pro1").defaultGpuBrand).toBe(false);
  });

  it("containers: image directory in profiles and binds in launcher-env, only when enabled", () => {
    const runtime = "apptainer: { source: epel, version: 1.4.5-1.el9 }\nspank: { source: { url: https://example.com/s.tar.gz, sha256: \"" + "0".repeat(64) + "\" } }\n";
    const on = filesOf(site(MINIMAL + "containers: { enabled: true }\n" + runtime));
    expect(on.get("launcher.slurminteractive.profiles.conf")).toContain("singularity-image-directory=/opt/rstudio/container\n");
    expect(on.get("launcher-env")).toContain("APPTAINER_BIND=/opt/slurm/etc,/opt/slurm/libexec,/var/spool/slurmd,/var/run/munge\n");
    expect(on.get("rserver.conf")).toContain("launcher-sessions-create-container-user=0\n");
    expect(filesOf(site(MINIMAL)).get("launcher-env")).toBe("SLURM_CONF=/opt/slurm/etc/slurm.conf\n");
  });

  it("database.conf uses discrete keys for sslMode prefer, connection-uri otherwise; always 0600 and secret", () => {
    const prefer = sharedFiles(site(MINIMAL.replace("  password:", "  sslMode: prefer\n  password:")), headInputs("pw-1234")).find((f) => f.name === "database.conf")!;
    expect(prefer).toMatchObject({ mode: 0o600, secret: true });
    expect(String(prefer.content)).toBe(
      "provider=postgresql\nhost=pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com\nport=5432\ndatabase=pwb\nusername=pwb\npassword=pw-1234\n",
    );
  });
});

describe("resource profiles", () => {
  it("a quarter, half and whole of the smallest node, with headroom, in 256 MiB steps", () => {
    const s = site(MINIMAL.replace("m6i.xlarge", "t3.xlarge"));
    expect(profilesFor(s, s.slurm.clusters[0]!)).toEqual([
      { id: "small", label: "Small (1 CPU, 3.5 GiB)", cpus: 1, memoryMiB: 3584 },
      { id: "medium", label: "Medium (2 CPU, 7 GiB)", cpus: 2, memoryMiB: 7168 },
      { id: "large", label: "Large (4 CPU, 14.3 GiB)", cpus: 4, memoryMiB: 14592 },
    ]);
  });

  it("a 2-vCPU node gets two sizes, not a duplicate", () => {
    const s = site(MINIMAL.replace("m6i.xlarge", "m6i.large"));
    expect(profilesFor(s, s.slurm.clusters[0]!).map((p) => p.cpus)).toEqual([1, 2]);
  });

  it("the site's own profiles win", () => {
    const s = site(MINIMAL + "profiles: [{ id: one, cpus: 1, memoryMiB: 2048 }]\n");
    expect(profilesFor(s, s.slurm.clusters[0]!)).toEqual([{ id: "one", label: "one (1 CPU, 2 GiB)", cpus: 1, memoryMiB: 2048 }]);
  });
});

describe("writer, reader, manifest", () => {
  it("the writer refuses values it cannot write safely", () => {
    expect(() => keyValueFile([["k", "a\nb"]])).toThrow("spans lines");
    expect(() => keyValueFile([["k", " a"]])).toThrow("surrounding spaces");
    expect(() => keyValueFile([["bad key", "a"]])).toThrow("not a config key");
    expect(keyValueFile([["a", true], ["b", 2]], ["hi"])).toBe("# hi\n\na=1\nb=2\n");
    expect(sectionedFile([{ name: "cluster", entries: [["name", "x"]] }, { name: "cluster", entries: [["name", "y"]] }])).toBe("[cluster]\nname=x\n\n[cluster]\nname=y\n");
  });

  it("every rendered key=value file reads back to what was written", () => {
    for (const [name, text] of filesOf(site(exampleSiteText()))) {
      if (!/\.conf$|^launcher-env$|^load-balancer$/.test(name) || name === "nginx.worker.conf") continue;
      expect(() => parseConfig(text), name).not.toThrow();
    }
    expect(topLevel(parseConfig("# c\na=1\nb=x=y\n"))).toEqual(new Map([["a", "1"], ["b", "x=y"]]));
    expect(() => parseConfig("a=1\nnonsense\n")).toThrow("line 2");
  });

  it("the manifest round-trips and rejects what is not one", () => {
    const s = site(MINIMAL);
    const m = buildManifest(s, sharedFiles(s, headInputs()));
    expect(parseManifest(renderManifest(m))).toEqual(m);
    expect(() => parseManifest('{"format": 2}')).toThrow("format 2");
  });

  it("maps each shared file to the services that read it", () => {
    expect(readersOf("database.conf")).toEqual(["rstudio-server.service"]);
    expect(readersOf("launcher.conf")).toEqual(["rstudio-launcher.service"]);
    expect(readersOf("launcher.slurmbatch.resources.conf")).toEqual(["rstudio-launcher.service"]);
    expect(readersOf("launcher-env")).toEqual(["rstudio-server.service"]);
    expect(readersOf("launcher.pem")).toEqual(["rstudio-launcher.service", "rstudio-server.service"]);
  });
});

describe("login node without a complete shared configuration", () => {
  it("converges its own files, declares no restart stamps and leaves the services' run state alone", () => {
    const s = site(MINIMAL);
    const resources: Resource[] = workbenchComponent.wants(factsFor("login"), s, { role: "login", shared: { ready: false, reason: "no manifest" } });
    expect(resources.filter((r): r is FileResource => r.kind === "file").map((r) => r.path)).toEqual([
      "/etc/systemd/system/rstudio-launcher.service.d/pwb-agent.conf",
      "/etc/systemd/system/rstudio-server.service.d/pwb-agent.conf",
      "/etc/sysctl.d/90-pwb-workbench.conf",
      "/etc/security/limits.d/90-rstudio-server.conf",
    ]);
    expect(resources.filter((r) => r.kind === "service")).toEqual([
      { kind: "service", name: "rstudio-launcher.service", enabled: true },
      { kind: "service", name: "rstudio-server.service", enabled: true },
    ]);
  });
});
