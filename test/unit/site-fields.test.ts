import { describe, expect, it } from "vitest";
import { BadInputError } from "../../agent/errors.js";
import { parseSiteText } from "../../agent/site/load.js";
import { MINIMAL } from "../helpers/workbench.js";

/*
 * One validator per kind of value (agent/site/fields.ts): the same value gets the same verdict and the
 * same message in every section, core (storage:, slurm:, database:) or container/GPU (spank:, images:,
 * telemetry:, cuda:).
 */

const SHA = "A".repeat(64);
const SPANK = (fields: string) => `spank:\n  source: { url: "https://example.com/spank.tar.gz", sha256: "${SHA}" }\n${fields}`;

/** `field: message` of every problem, or "ok". */
function verdict(extra: string, base = MINIMAL): string[] | "ok" {
  try {
    parseSiteText(base + extra, "site.yaml");
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return (e as Error).message.split("\n").slice(1).map((l) => l.replace(/^\s*site\.yaml:\d+:\d+: /, ""));
  }
}

/** Where an absolute path goes, as YAML that puts `p` there. */
const PATH_FIELDS: Array<[string, (p: string) => string]> = [
  ["storage.sharedStoragePath", (p) => `storage:\n  sharedStoragePath: "${p}"\n`],
  ["containers.bind[0]", (p) => `containers:\n  bind: ["${p}"]\n`],
  ["spank.installDir", (p) => SPANK(`  installDir: "${p}"\n`)],
  ["telemetry.jobCompletion.path", (p) => `telemetry:\n  jobCompletion: { path: "${p}" }\n`],
  ["images[0].definition", (p) => `images:\n  - { name: custom, definition: "${p}" }\n`],
];

describe("site fields: one rule per kind of value", () => {
  it.each([["/opt/a'b"], ["/opt/a=b"], ["/opt/a,b"], ["/opt/a b"], ["/opt/../etc"], ["/opt/x/"], ["relative/path"], [`/${"d".repeat(256)}`]])(
    "the path %s is refused with the same message in every section",
    (bad) => {
      const messages = PATH_FIELDS.map(([field, yaml]) => {
        const problems = verdict(yaml(bad));
        expect(problems, field).not.toBe("ok");
        const mine = (problems as string[]).filter((p) => p.startsWith(`${field}: `));
        expect(mine, `${field}: ${JSON.stringify(problems)}`).toHaveLength(1);
        return mine[0]!.slice(field.length + 2);
      });
      expect(new Set(messages).size, messages.join("\n")).toBe(1);
    },
  );

  it("a good path is accepted in every section", () => {
    for (const [field, yaml] of PATH_FIELDS) expect(verdict(yaml("/srv/pwb/x.def")), field).toBe("ok");
  });

  it("a URL with a query is a download URL (cuda.repo.url, spank.source.url), never the Workbench address or a mirror base", () => {
    const signed = "https://downloads.example.com/a.tar.gz?X-Amz-Signature=abc";
    expect(verdict(`cuda:\n  repo: { url: "${signed}" }\n`)).toBe("ok");
    expect(verdict(`spank:\n  source: { url: "${signed}", sha256: "${SHA}" }\n`)).toBe("ok");
    expect(verdict("", MINIMAL.replace("https://workbench.example.com", signed))).toEqual([
      "workbench.url: expected an http(s) URL without query or fragment, e.g. https://workbench.example.com",
    ]);
    expect(verdict(`mirror:\n  url: "${signed}"\n`)).toEqual([expect.stringMatching(/^mirror\.url: expected an s3:\/\/bucket\/prefix or https:\/\/ URL/)]);
  });

  it("a fragment, whitespace or another scheme is refused by every URL field", () => {
    for (const bad of ["https://example.com/a#b", "https://example.com/a b", "ftp://example.com/a"]) {
      expect(verdict("", MINIMAL.replace("https://workbench.example.com", bad)), bad).not.toBe("ok");
      expect(verdict(`cuda:\n  repo: { url: "${bad}" }\n`), bad).not.toBe("ok");
      expect(verdict(`spank:\n  source: { url: "${bad}", sha256: "${SHA}" }\n`), bad).not.toBe("ok");
      expect(verdict(`mirror:\n  url: "${bad}"\n`), bad).not.toBe("ok");
    }
  });

  it("s3:// is for what the agent fetches itself: an artifact (bucket and key) or a mirror (bucket, prefix optional)", () => {
    expect(verdict(`spank:\n  source: { url: "s3://pwb-artifacts/spank/x.tar.gz", sha256: "${SHA}" }\n`)).toBe("ok");
    expect(verdict(`spank:\n  source: { url: "s3://pwb-artifacts", sha256: "${SHA}" }\n`)).not.toBe("ok");
    expect(verdict(`mirror:\n  url: "s3://pwb-artifacts"\n`)).toBe("ok");
    expect(verdict(`cuda:\n  repo: { url: "s3://pwb-artifacts/cuda" }\n`)).not.toBe("ok");
  });

  it("a port is checked by one rule (workbench.port, database.port, telemetry.metrics.port)", () => {
    const messages = [
      verdict("", MINIMAL.replace("  url: https://workbench.example.com", "  url: https://workbench.example.com\n  port: 70000")),
      verdict("", MINIMAL.replace("  password:", "  port: 70000\n  password:")),
      verdict("telemetry:\n  metrics: { port: 70000 }\n"),
    ].map((p) => (p as string[]).map((l) => l.replace(/^[^:]+: /, "")));
    expect(messages).toEqual([["expected a port from 1 to 65535"], ["expected a port from 1 to 65535"], ["expected a port from 1 to 65535"]]);
  });

  it("every sha256 is lower-cased, wherever it is pinned", () => {
    const s = parseSiteText(
      `${MINIMAL}${SPANK("")}apptainer:\n  version: 1.4.5\n  sha256: { apptainer_1.4.5_amd64.deb: "${SHA}" }\ncuda:\n  repo: { keySha256: "${SHA}" }\nchecksums:\n  r/x.deb: "${SHA}"\n`,
      "site.yaml",
    );
    const lower = SHA.toLowerCase();
    expect([s.spank!.source.sha256, s.apptainer!.sha256["apptainer_1.4.5_amd64.deb"], s.cuda!.repo.keySha256, s.checksums["r/x.deb"]]).toEqual([lower, lower, lower, lower]);
  });

  it("unknown keys inside sections that transform their values still get a did-you-mean", () => {
    expect(verdict("", MINIMAL.replace("  partitions:", "  partitoins:"))).toContainEqual(expect.stringMatching(/^slurm\.partitoins: unknown key: did you mean "partitions"\?/));
    expect(verdict("storage:\n  hme: /home\n")).toContainEqual(expect.stringMatching(/^storage\.hme: unknown key: did you mean "home"\?/));
    expect(verdict("cuda:\n  repo: { kyeFile: x.pub }\n")).toContainEqual(expect.stringMatching(/^cuda\.repo\.kyeFile: unknown key: did you mean "keyFile"\?/));
    expect(verdict("runtimes:\n  r: { version: [4.4.1] }\n")).toContainEqual(expect.stringMatching(/^runtimes\.r\.version: unknown key: did you mean "versions"\?/));
    expect(verdict("alb:\n  nmae: x\n", MINIMAL.replace("alb:\n  name: pwb-workbench\n", ""))).toContainEqual(expect.stringMatching(/^alb\.nmae: unknown key: did you mean "name"\?/));
  });

  it("an unknown key beside a partition the instance table cannot size: both refused, nothing resolved", () => {
    const problems = verdict("", MINIMAL.replace("  partitions:", "  binpath: /opt/slurm/bin\n  partitions:").replace("m6i.xlarge", "zz9.large"));
    expect(problems).toContainEqual(expect.stringMatching(/^slurm\.binpath: unknown key: did you mean "binPath"\?/));
    expect(problems).toContainEqual(expect.stringMatching(/^slurm\.partitions\[0\]\.instanceType: expected an instance type pwb-agent knows/));
  });
});
