import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { activeComponents, desiredState, gatherInputs } from "../../agent/components/index.js";
import { Root } from "../../agent/nodefs/root.js";
import type { Resource } from "../../agent/engine/types.js";
import { BadInputError } from "../../agent/errors.js";
import type { Role } from "../../agent/facts/types.js";
import { silentLogger } from "../../agent/log.js";
import { parseSiteText } from "../../agent/site/load.js";
import { tempDir } from "../helpers/engine.js";
import { fakeSha256 } from "../helpers/golden-plan.js";
import { NVIDIA_A10G, nodeFacts, simOs } from "../helpers/node-facts.js";
import { FAKE, MINIMAL, simSiteYaml } from "../helpers/workbench.js";

/* The container/GPU site sections wired into site.yaml, and their components in the registry. */

const CONTAINERS = `containers:
  enabled: true
apptainer:
  version: 1.4.5
  sha256:
    apptainer-1.4.5-1.x86_64.rpm: ${fakeSha256("apptainer-1.4.5-1.x86_64.rpm")}
spank:
  source:
    url: https://github.com/GSI-HPC/slurm-singularity-exec/archive/refs/tags/v3.2.0.tar.gz
    sha256: ${fakeSha256("v3.2.0.tar.gz")}
  bind: [/scratch]
cuda:
  toolkit: "12.4"
  repo: { keySha256: ${fakeSha256("D42D0685.pub")} }
images:
  - name: r-session
    pull: docker://rstudio/r-session-complete:jammy-2024.12.1
`;

async function nodeRoot(): Promise<Root> {
  const dir = await tempDir("pwb-containers-site-");
  await fs.mkdir(path.join(dir, "opt/slurm/include/slurm"), { recursive: true });
  await fs.writeFile(path.join(dir, "opt/slurm/include/slurm/slurm_version.h"), "#define SLURM_VERSION_NUMBER 0x170b04\n");
  // The head node's Workbench gather reads the database password (simSiteYaml: a root-only file).
  await fs.mkdir(path.join(dir, "etc/pwb-agent"), { recursive: true });
  await fs.writeFile(path.join(dir, "etc/pwb-agent/database-password"), FAKE.password, { mode: 0o600 });
  return new Root(dir);
}

async function wanted(role: Role, gpu = false): Promise<Resource[]> {
  const site = parseSiteText(simSiteYaml(CONTAINERS), "site.yaml");
  const facts = nodeFacts(role, simOs("rocky9"), gpu ? NVIDIA_A10G : null);
  const components = activeComponents(facts, site);
  const inputs = await gatherInputs(components, facts, site, { root: await nodeRoot(), log: silentLogger(), mode: "plan" });
  return desiredState(facts, site, undefined, inputs, components);
}

const ids = (rs: Resource[]) => rs.map((r) => ("path" in r ? r.path : r.kind === "command" || r.kind === "packages" ? r.label : r.name));

describe("containers and GPUs in site.yaml", () => {
  it("parses the sections with their defaults; absent sections are null/empty", () => {
    const site = parseSiteText(MINIMAL + CONTAINERS, "site.yaml");
    expect(site.apptainer).toEqual({ version: "1.4.5", source: "release", suid: false, sha256: { "apptainer-1.4.5-1.x86_64.rpm": fakeSha256("apptainer-1.4.5-1.x86_64.rpm") } });
    expect(site.spank).toMatchObject({ slurmInclude: "/opt/slurm/include", installDir: "/usr/local/lib/pwb-agent/spank", bind: ["/scratch"], args: "" });
    expect(site.cuda).toMatchObject({ driver: true, driverPackage: "cuda-drivers", toolkit: "12.4", cudnn: false });
    expect(site.images).toEqual([{ name: "r-session", kind: "pull", ref: "docker://rstudio/r-session-complete:jammy-2024.12.1" }]);
    const bare = parseSiteText(MINIMAL, "site.yaml");
    expect([bare.apptainer, bare.spank, bare.cuda, bare.images]).toEqual([null, null, null, []]);
  });

  it("a typo or a bad value in these sections is bad input with the field's path", () => {
    expect(() => parseSiteText(MINIMAL + "apptainer:\n  version: 1.4.5\n  suId: true\n", "site.yaml")).toThrow(BadInputError);
    expect(() => parseSiteText(MINIMAL + "spank:\n  source: { url: https://x/y.tgz, sha256: nope }\n", "site.yaml")).toThrow(/spank\.source\.sha256/);
  });

  it("head: Workbench, then Apptainer, the SPANK build + registration, and the images; no CUDA", async () => {
    const rs = ids(await wanted("head"));
    expect(rs).toContain("/etc/apptainer/apptainer.conf");
    expect(rs).toContain("/opt/slurm/etc/plugstack.conf.d/singularity-exec.conf");
    expect(rs).toContain("/opt/rstudio/container/.r-session.sif.source");
    expect(rs.indexOf("/opt/rstudio/container")).toBeLessThan(rs.indexOf("/opt/rstudio/container/.r-session.sif.source"));
    expect(rs.some((p) => p.includes("cuda"))).toBe(false);
  });

  it("compute: GPU nodes get CUDA (before Apptainer) and --nv; CPU nodes nothing GPU-related; neither registers", async () => {
    const gpu = await wanted("compute", true);
    const cpu = await wanted("compute", false);
    expect(ids(gpu).indexOf("/etc/yum.repos.d/pwb-cuda.repo")).toBeLessThan(ids(gpu).indexOf("/etc/apptainer/apptainer.conf"));
    expect(ids(cpu).some((p) => /cuda|nvidia/.test(p))).toBe(false);
    const wrapper = (rs: Resource[]) => rs.find((r) => r.kind === "file" && r.path.endsWith("node-wrapper.sh")) as { content: string };
    expect(wrapper(gpu).content).toContain("--nv");
    expect(wrapper(cpu).content).not.toContain("--nv");
    for (const rs of [gpu, cpu]) expect(ids(rs).some((p) => p.startsWith("/opt/slurm/etc"))).toBe(false);
  });
});
