import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gatherCuda, type CudaInputs } from "../../agent/components/cuda/gather.js";
import { cudaResources, missingCudaPackages } from "../../agent/components/cuda/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import { BadInputError } from "../../agent/errors.js";
import { gatherFacts } from "../../agent/facts/index.js";
import { silentLogger } from "../../agent/log.js";
import { SIM_OSES, writeSimulatedNode, type SimOs } from "../../agent/simulation/node.js";
import { cudaSection, type CudaSite } from "../../agent/site/sections/cuda.js";
import { tempDir } from "../helpers/engine.js";
import { expectGolden, fakeSha256, simulatedApply } from "../helpers/golden-plan.js";
import { NVIDIA_A10G, nodeFacts, simOs } from "../helpers/node-facts.js";

const NOTHING: CudaInputs = { driver: false, toolkits: [], cudnn: false };
/** An official ParallelCluster AMI: driver and toolkit from NVIDIA's runfiles, no packages. */
const PCLUSTER_AMI: CudaInputs = { driver: true, toolkits: ["12.8"], cudnn: false };

function site(extra: Record<string, unknown> = {}, keyFile = "D42D0685.pub"): CudaSite {
  return cudaSection.parse({ toolkit: "12.4", cudnn: true, repo: { keySha256: fakeSha256(keyFile) }, ...extra });
}
const keyFor = (os: SimOs) => (os.startsWith("ubuntu") ? "3bf863cc.pub" : "D42D0685.pub");

describe("cuda component", () => {
  it("GPU compute nodes on every supported OS: plans match the golden command lists", async () => {
    const sections: string[] = [];
    for (const os of Object.keys(SIM_OSES) as SimOs[]) {
      const facts = nodeFacts("compute", simOs(os), NVIDIA_A10G);
      const lines = await simulatedApply(cudaResources(facts, site({}, keyFor(os)), null, NOTHING), facts.os.family!);
      sections.push(`## ${os}: bare GPU node (no driver, no toolkit): driver, CUDA 12.4, cuDNN 9\n${lines.map((l) => `  ${l}`).join("\n")}`);
    }
    const facts = nodeFacts("compute", simOs("ubuntu2204"), NVIDIA_A10G);
    const mirrored = await simulatedApply(cudaResources(facts, site({ driverPackage: "nvidia-open" }, "3bf863cc.pub"), { url: "https://artifacts.example.com/pwb" }, NOTHING), "debian");
    sections.push(`## ubuntu2204: from the site's mirror, open kernel modules\n${mirrored.map((l) => `  ${l}`).join("\n")}`);
    await expectGolden("test/golden/cuda/plans.txt", sections.join("\n\n") + "\n");
  });

  it("keeps what an official ParallelCluster AMI ships: no driver or toolkit reinstall", () => {
    const facts = nodeFacts("compute", simOs("rhel9"), NVIDIA_A10G);
    expect(cudaResources(facts, site({ toolkit: "12.8", cudnn: false }), null, PCLUSTER_AMI)).toEqual([]);
    expect(missingCudaPackages(site({ toolkit: undefined, cudnn: true }), PCLUSTER_AMI)).toEqual(["cudnn9-cuda-12"]);
    expect(missingCudaPackages(site({ toolkit: "12.4", cudnn: false }), PCLUSTER_AMI)).toEqual(["cuda-toolkit-12-4"]);
    expect(missingCudaPackages(site({ driver: false, toolkit: undefined, cudnn: false }), NOTHING)).toEqual([]);
  });

  it("nothing GPU-related on nodes without a GPU, nor on head and login nodes", () => {
    for (const os of Object.keys(SIM_OSES) as SimOs[]) {
      expect(cudaResources(nodeFacts("compute", simOs(os)), site(), null, NOTHING), os).toEqual([]);
      for (const role of ["head", "login"] as const) expect(cudaResources(nodeFacts(role, simOs(os), NVIDIA_A10G), site(), null, NOTHING)).toEqual([]);
    }
  });

  it("installing anything needs the repository key's sha256; cuDNN needs a toolkit to match", () => {
    const facts = nodeFacts("compute", simOs("rocky9"), NVIDIA_A10G);
    const noKey = cudaSection.parse({});
    expect(() => cudaResources(facts, noKey, null, NOTHING)).toThrow(BadInputError);
    expect(() => cudaResources(facts, noKey, null, NOTHING)).toThrow(/rhel9\/x86_64\/D42D0685\.pub/);
    expect(cudaResources(facts, noKey, null, { driver: true, toolkits: [], cudnn: false })).toEqual([]);
    expect(() => missingCudaPackages(site({ toolkit: undefined }), { driver: true, toolkits: [], cudnn: false })).toThrow(/cuda\.cudnn/);
    expect(cudaSection.safeParse({ toolkit: 12.4 }).success).toBe(false);
  });

  it("an s3:// mirror: the repository's snapshot is fetched and verified by the agent, and dnf/apt read it from local disk", () => {
    const rocky = cudaResources(nodeFacts("compute", simOs("rocky9"), NVIDIA_A10G), site(), { url: "s3://bucket/pwb" }, NOTHING);
    expect(rocky[0]).toEqual({
      kind: "archive", path: "/var/cache/pwb-agent/repos/cuda-rhel9", stripComponents: 0,
      fetch: { label: "CUDA repository snapshot for rhel9", url: "s3://bucket/pwb/cuda/rhel9/x86_64/repo.tar.gz", sha256: { manifest: "s3://bucket/pwb/SHA256SUMS", entry: "cuda/rhel9/x86_64/repo.tar.gz" }, path: "/var/cache/pwb-agent/artifacts/cuda/rhel9/x86_64/repo.tar.gz" },
    });
    expect(rocky[1]).toMatchObject({ kind: "download", url: "s3://bucket/pwb/cuda/rhel9/x86_64/D42D0685.pub" });
    expect(String((rocky[2] as { content: string }).content)).toContain("\nbaseurl=file:///var/cache/pwb-agent/repos/cuda-rhel9/\nenabled=1\ngpgcheck=1\n");
    expect(rocky.at(-1)).toEqual({ kind: "packages", label: "cuda", items: [{ name: "cuda-drivers" }, { name: "cuda-toolkit-12-4" }, { name: "cudnn9-cuda-12" }] });
    // A pin under checksums: wins over the manifest; Ubuntu gets a flat file: source.
    const pin = "a".repeat(64);
    const ubuntu = cudaResources(nodeFacts("compute", simOs("ubuntu2404"), NVIDIA_A10G), site({}, "3bf863cc.pub"), { url: "s3://bucket/pwb" }, NOTHING, { "cuda/ubuntu2404/x86_64/repo.tar.gz": pin });
    expect(ubuntu[0]).toMatchObject({ kind: "archive", fetch: { sha256: pin } });
    expect(ubuntu.find((r) => r.kind === "file")).toMatchObject({ content: "# Managed by pwb-agent (cuda component)\ndeb [signed-by=/usr/share/keyrings/pwb-cuda.asc] file:/var/cache/pwb-agent/repos/cuda-ubuntu2404 /\n" });
    // Nothing missing: no snapshot, no repository, nothing fetched.
    expect(cudaResources(nodeFacts("compute", simOs("rocky9"), NVIDIA_A10G), site(), { url: "s3://bucket/pwb" }, { driver: true, toolkits: ["12.4"], cudnn: true })).toEqual([]);
  });

  it("detects the driver, toolkits and cuDNN on the node (simulated GPU node)", async () => {
    const dir = await tempDir("pwb-cuda-");
    await writeSimulatedNode(dir, { role: "compute", os: "rocky9", gpus: 1, gpuDriver: "550.90.07" });
    const root = new Root(dir);
    const facts = await gatherFacts({ root, imds: { enabled: false }, log: silentLogger() });
    expect(facts.gpu?.vendor).toBe("nvidia");
    expect(await gatherCuda(root, facts)).toEqual({ driver: true, toolkits: [], cudnn: false });
    for (const d of ["usr/local/cuda-12.8/bin", "usr/local/cuda-11.8/bin"]) await fs.mkdir(path.join(dir, d), { recursive: true });
    await fs.mkdir(path.join(dir, "usr/include"), { recursive: true });
    await fs.writeFile(path.join(dir, "usr/include/cudnn_version.h"), "#define CUDNN_MAJOR 9\n");
    const noDriver = { ...facts, gpu: { ...facts.gpu!, driverVersion: null } };
    expect(await gatherCuda(root, noDriver)).toEqual({ driver: false, toolkits: ["11.8", "12.8"], cudnn: true });
  });
});
