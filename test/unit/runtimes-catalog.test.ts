import { describe, expect, it } from "vitest";
import { artifactFor, artifactUrl, parseChecksums, UnsupportedArtifact } from "../../agent/artifacts/catalog.js";
import type { OsFacts } from "../../agent/facts/types.js";

const os = (id: string, version: string, family: "rhel" | "debian"): OsFacts => ({
  id, version, major: Number(version.split(".")[0]), family, supported: true, prettyName: null,
});
const rocky9 = os("rocky", "9.4", "rhel");
const rhel8 = os("rhel", "8.10", "rhel");
const jammy = os("ubuntu", "22.04", "debian");
const noble = os("ubuntu", "24.04", "debian");

describe("artifact catalog", () => {
  it("names Posit's R builds per platform", () => {
    expect(artifactFor("r", "4.4.1", rocky9).officialUrl).toBe("https://cdn.posit.co/r/rhel-9/pkgs/R-4.4.1-1-1.x86_64.rpm");
    expect(artifactFor("r", "4.4.1", rhel8).officialUrl).toBe("https://cdn.posit.co/r/centos-8/pkgs/R-4.4.1-1-1.x86_64.rpm");
    expect(artifactFor("r", "4.3.3", noble).officialUrl).toBe("https://cdn.posit.co/r/ubuntu-2404/pkgs/r-4.3.3_1_amd64.deb");
  });

  it("names Posit's Python builds per platform", () => {
    expect(artifactFor("python", "3.12.4", rocky9)).toMatchObject({
      format: "rpm",
      officialUrl: "https://cdn.posit.co/python/rhel-9/pkgs/python-3.12.4-1-1.x86_64.rpm",
      mirrorPath: "python/rhel-9/python-3.12.4-1-1.x86_64.rpm",
    });
    expect(artifactFor("python", "3.11.9", jammy).officialUrl).toBe("https://cdn.posit.co/python/ubuntu-2204/pkgs/python-3.11.9_1_amd64.deb");
  });

  it("spells Workbench's '+' as '-' in file names, one jammy deb for both Ubuntu releases", () => {
    expect(artifactFor("workbench", "2024.12.1+563.pro5", rocky9).officialUrl).toBe(
      "https://download2.rstudio.org/server/rhel9/x86_64/rstudio-workbench-rhel-2024.12.1-563.pro5-x86_64.rpm",
    );
    expect(artifactFor("workbench", "2024.12.1+563.pro5", noble).officialUrl).toBe(
      "https://download2.rstudio.org/server/jammy/amd64/rstudio-workbench-2024.12.1-563.pro5-amd64.deb",
    );
  });

  it("takes Quarto's tarball from its releases, any OS", () => {
    expect(artifactFor("quarto", "1.6.39", jammy)).toMatchObject({
      format: "tar.gz",
      officialUrl: "https://github.com/quarto-dev/quarto-cli/releases/download/v1.6.39/quarto-1.6.39-linux-amd64.tar.gz",
    });
  });

  it("refuses an OS without published builds, saying which", () => {
    expect(() => artifactFor("r", "4.4.1", os("amzn", "2023", "rhel"))).toThrow(UnsupportedArtifact);
    expect(() => artifactFor("workbench", "2024.12.1+563.pro5", os("debian", "12", "debian"))).toThrow(
      "no workbench 2024.12.1+563.pro5 build is published for debian 12",
    );
  });

  it("maps to a mirror's layout when one is configured", () => {
    const spec = artifactFor("r", "4.4.1", rocky9);
    expect(artifactUrl(spec, null)).toBe(spec.officialUrl);
    expect(artifactUrl(spec, "https://mirror.internal/pwb/")).toBe("https://mirror.internal/pwb/r/rhel-9/R-4.4.1-1-1.x86_64.rpm");
  });

  it("reads a SHA256SUMS manifest and rejects a malformed line with its line number", () => {
    const a = "a".repeat(64);
    const b = "B".repeat(64);
    const sums = parseChecksums(`# mirror checksums\n${a}  r/rhel-9/R-4.4.1-1-1.x86_64.rpm\n${b} *./quarto/q.tar.gz\n`, "SHA256SUMS");
    expect([...sums]).toEqual([["r/rhel-9/R-4.4.1-1-1.x86_64.rpm", a], ["quarto/q.tar.gz", "b".repeat(64)]]);
    expect(() => parseChecksums(`${a}  ok\nnot a checksum line\n`, "SHA256SUMS")).toThrow('SHA256SUMS:2: expected "<sha256>  <path>"');
  });
});
