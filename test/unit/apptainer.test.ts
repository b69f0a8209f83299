import { describe, expect, it } from "vitest";
import { apptainerConf } from "../../agent/components/apptainer/config.js";
import { apptainerResources } from "../../agent/components/apptainer/plan.js";
import { releaseFile } from "../../agent/components/apptainer/release.js";
import { BadInputError } from "../../agent/errors.js";
import type { Role } from "../../agent/facts/types.js";
import { SIM_OSES, type SimOs } from "../../agent/simulation/node.js";
import { apptainerSection, type ApptainerSite } from "../../agent/site/sections/apptainer.js";
import { expectGolden, fakeSha256, simulatedApply } from "../helpers/golden-plan.js";
import { NVIDIA_A10G, nodeFacts, simOs } from "../helpers/node-facts.js";

const VERSION = "1.4.5";

function site(extra: Record<string, unknown> = {}): ApptainerSite {
  const files = ["apptainer", "apptainer-suid"].flatMap((n) => [releaseFile(n as "apptainer", VERSION, "rpm"), releaseFile(n as "apptainer", VERSION, "deb")]);
  return apptainerSection.parse({ version: VERSION, sha256: Object.fromEntries(files.map((f) => [f, fakeSha256(f)])), ...extra });
}

async function commands(os: SimOs, a: ApptainerSite, mirror: { url: string } | null = null, role: Role = "compute"): Promise<string> {
  const facts = nodeFacts(role, simOs(os));
  const lines = await simulatedApply(apptainerResources(facts, a, mirror), facts.os.family!);
  return lines.map((l) => `  ${l}`).join("\n");
}

describe("apptainer component", () => {
  it("plans on every supported OS match the golden command lists", async () => {
    const sections: string[] = [];
    for (const os of Object.keys(SIM_OSES) as SimOs[]) sections.push(`## ${os}: release ${VERSION}\n${await commands(os, site())}`);
    sections.push(`## rocky9: release ${VERSION} with apptainer-suid, from the site's mirror\n${await commands("rocky9", site({ suid: true }), { url: "https://artifacts.example.com/pwb/" })}`);
    sections.push(`## ubuntu2404: release ${VERSION} with apptainer-suid, from the site's mirror\n${await commands("ubuntu2404", site({ suid: true }), { url: "https://artifacts.example.com/pwb" })}`);
    sections.push(`## rhel9: EPEL 1.4.5-1.el9 from the site's mirror\n${await commands("rhel9", site({ source: "epel", version: "1.4.5-1.el9" }), { url: "https://artifacts.example.com/pwb" })}`);
    sections.push(`## almalinux8: EPEL 1.4.5-1.el8\n${await commands("almalinux8", site({ source: "epel", version: "1.4.5-1.el8" }))}`);
    await expectGolden("test/golden/apptainer/plans.txt", sections.join("\n\n") + "\n");
  });

  it("is the same on head, login and compute nodes; GPU nodes get `always use nv = yes`", () => {
    const plain = apptainerResources(nodeFacts("compute", simOs("rocky9")), site(), null);
    for (const role of ["head", "login"] as const) expect(apptainerResources(nodeFacts(role, simOs("rocky9")), site(), null)).toEqual(plain);
    const gpu = apptainerResources(nodeFacts("compute", simOs("rocky9"), NVIDIA_A10G), site(), null);
    const conf = (rs: typeof plain) => rs.find((r) => r.kind === "file" && r.path === "/etc/apptainer/apptainer.conf") as { content: string };
    expect(conf(gpu).content).toContain("\nalways use nv = yes\n");
    expect(conf(plain).content).toContain("\nalways use nv = no\n");
    expect(gpu.filter((r) => r.kind !== "file")).toEqual(plain.filter((r) => r.kind !== "file"));
  });

  it("apptainer.conf: setuid and shared loop devices only with apptainer-suid", () => {
    expect(apptainerConf(site(), false)).toContain("allow setuid = no\n");
    expect(apptainerConf(site(), false)).not.toContain("shared loop devices");
    expect(apptainerConf(site({ suid: true }), false)).toMatch(/allow setuid = yes\n.*\nshared loop devices = yes\n/);
  });

  it("a release package without its sha256 is bad input naming the file to add", () => {
    const noSums = apptainerSection.parse({ version: VERSION });
    expect(() => apptainerResources(nodeFacts("compute", simOs("ubuntu2204")), noSums, null)).toThrow(BadInputError);
    expect(() => apptainerResources(nodeFacts("compute", simOs("ubuntu2204")), noSums, null)).toThrow(/apptainer_1\.4\.5_amd64\.deb/);
  });

  it("refuses EPEL where there is none; release files from an s3:// mirror; refuses versions that do not fit the source", () => {
    expect(() => apptainerResources(nodeFacts("compute", simOs("ubuntu2204")), site({ source: "epel", version: "1.4.5-1.el9" }), null)).toThrow(/Enterprise Linux/);
    expect(() => apptainerResources(nodeFacts("compute", simOs("alinux2023")), site({ source: "epel", version: "1.4.5-1.el9" }), null)).toThrow(BadInputError);
    // An s3:// mirror works for release files: the agent fetches them (with the instance role), never dnf/apt.
    const fromS3 = apptainerResources(nodeFacts("compute", simOs("rocky9")), site(), { url: "s3://bucket/pwb" });
    expect(fromS3.find((r) => r.kind === "packages" && r.label === "apptainer")).toMatchObject({ items: [{ name: "apptainer", fetch: { url: "s3://bucket/pwb/apptainer/apptainer-1.4.5-1.x86_64.rpm" } }] });
    expect(apptainerSection.safeParse({ version: "1.4.5-1.el9" }).success).toBe(false);
    expect(apptainerSection.safeParse({ version: "1.4.5", source: "epel" }).success).toBe(false);
    expect(apptainerSection.safeParse({ version: "1.4", sha256: {} }).success).toBe(false);
    expect(apptainerSection.safeParse({ version: "1.4.5", sha256: { "apptainer_1.4.5_amd64.deb": "xyz" } }).success).toBe(false);
  });
});
