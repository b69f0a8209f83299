import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../agent/program.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { snapshot, tempDir } from "../helpers/engine.js";
import { MINIMAL } from "../helpers/workbench.js";

/*
 * Malformed site files through the real command line (`pwb-agent plan` and `apply`, in process):
 * each one exits 2, names file:line:column and the field, says what was expected, and the node's
 * files are exactly as before.
 */

const replace = (from: string, to: string) => {
  if (!MINIMAL.includes(from)) throw new Error(`fixture: ${from} not in MINIMAL`);
  return MINIMAL.replace(from, to);
};
const add = (after: string, lines: string) => replace(after, `${after}\n${lines}`);

/** [what is wrong, the site text, the field the message must name] */
const CASES: Array<[string, string, string]> = [
  ["empty file", "", "(top level)"],
  ["a list at the top", "- workbench\n", "(top level)"],
  ["YAML syntax error", "workbench:\n  version: [1\n", "(yaml)"],
  ["duplicate key", add("  url: https://workbench.example.com", "  url: https://other.example.com"), "(yaml)"],
  ["unknown top-level section", MINIMAL + "workbnech: {}\n", "workbnech"],
  ["typo in a key", replace("  url:", "  URL:"), "workbench.URL"],
  ["missing workbench.version", replace("  version: 2024.12.1+563.pro5\n", ""), "workbench.version"],
  ["version not a version", replace("2024.12.1+563.pro5", "latest"), "workbench.version"],
  ["version too old", replace("2024.12.1+563.pro5", "2023.03.0+386.pro1"), "workbench.version"],
  ["url not http(s)", replace("https://workbench.example.com", "ftp://workbench.example.com"), "workbench.url"],
  ["url with a query", replace("https://workbench.example.com", "https://workbench.example.com/?a=1"), "workbench.url"],
  ["port as text", add("  url: https://workbench.example.com", "  port: eighty"), "workbench.port"],
  ["port out of range", add("  url: https://workbench.example.com", "  port: 70000"), "workbench.port"],
  ["wait above the login budget", add("  url: https://workbench.example.com", "  sharedConfigWaitSeconds: 900"), "workbench.sharedConfigWaitSeconds"],
  ["audit console level unknown", add("  url: https://workbench.example.com", "  audit: { rConsole: everything }"), "workbench.audit.rConsole"],
  ["a managed rserver key", add("  url: https://workbench.example.com", "  rserver: { www-port: 80 }"), "workbench.rserver.www-port"],
  ["a launcher-env variable pwb-agent sets", add("  url: https://workbench.example.com", "  launcherEnv: { SLURM_CONF: /etc/slurm.conf }"), "workbench.launcherEnv.SLURM_CONF"],
  ["an rserver value with surrounding spaces", add("  url: https://workbench.example.com", '  rserver: { auth-timeout-minutes: " 120" }'), "workbench.rserver.auth-timeout-minutes"],
  ["an rserver key with capitals", add("  url: https://workbench.example.com", "  rserver: { Auth-Timeout: 1 }"), "workbench.rserver.Auth-Timeout"],
  ["positron on a version without it", "(built below)", "workbench.ides.positron.enabled"],
  ["database host with a space", replace("pwb-db.cluster", "pwb db.cluster"), "database.host"],
  ["database port negative", add("  host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com", "  port: -1"), "database.port"],
  ["password as plain text", replace("{ ssm: /pwb/database/password }", "s3cr3t-plain"), "database.password"],
  ["password with both sources", replace("{ ssm: /pwb/database/password }", "{ ssm: /a, file: /b }"), "database.password"],
  ["password file relative", replace("{ ssm: /pwb/database/password }", "{ file: etc/db-password }"), "database.password.file"],
  ["sslmode misspelt", add("  host: pwb-db.cluster-abc123.eu-west-1.rds.amazonaws.com", "  sslMode: requires"), "database.sslMode"],
  ["alb subnet that is not a subnet id", replace("alb:\n  name: pwb-workbench\n", "alb:\n  name: pwb-workbench\n  subnets: [sn-123]\n"), "alb.subnets[0]"],
  ["alb name too long", replace("pwb-workbench", "pwb-workbench-with-a-very-long-name-x"), "alb.name"],
  ["no partitions", replace("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]", "  partitions: []"), "slurm.partitions"],
  ["partition name with a comma", replace("name: interactive,", 'name: "a,b",'), "slurm.partitions[0].name"],
  ["unknown instance type, no size", replace("m6i.xlarge", "m6i.humongous"), "slurm.partitions[0].instanceType"],
  ["duplicate partitions", replace("[{ name: interactive, instanceType: m6i.xlarge }]", "[{ name: q, instanceType: m6i.xlarge }, { name: q, instanceType: m6i.large }]"), "slurm.partitions[1].name"],
  ["cluster names an unknown partition", add("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]", "  clusters: [{ name: c1, use: sessions, partitions: [gpu] }]"), "slurm.clusters[0].partitions[0]"],
  ["cluster use unknown", add("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]", "  clusters: [{ name: c1, use: interactive }]"), "slurm.clusters[0].use"],
  ["only job clusters", add("  partitions: [{ name: interactive, instanceType: m6i.xlarge }]", "  clusters: [{ name: c1, use: jobs }]"), "slurm.clusters"],
  ["slurm binPath relative", add("slurm:", "  binPath: opt/slurm/bin"), "slurm.binPath"],
  ["storage path with ..", MINIMAL + "storage:\n  workbench: /opt/../rstudio\n", "storage.workbench"],
  ["profile with zero cpus", MINIMAL + "profiles: [{ id: tiny, cpus: 0, memoryMiB: 512 }]\n", "profiles[0].cpus"],
  ["runtime default not listed", MINIMAL + "runtimes:\n  r: { versions: [4.4.2], default: 4.3.0 }\n", "runtimes.r.default"],
  ["containers on a version without them", replace("2024.12.1+563.pro5", "2023.09.1+494.pro2") + "containers: { enabled: true }\n", "containers.enabled"],
  ["mirror not a URL", MINIMAL + "mirror: { url: ftp://mirror }\n", "mirror.url"],
];
// Two edits at once: kept out of the table to keep it readable.
CASES[CASES.findIndex(([n]) => n.startsWith("positron"))]![1] = replace("2024.12.1+563.pro5", "2024.09.1+394.pro7").replace(
  "  url: https://workbench.example.com",
  "  url: https://workbench.example.com\n  ides: { positron: { enabled: true } }",
);

describe(`${CASES.length} malformed site files: exit 2, the field named, nothing changed`, () => {
  let root: string;
  let dir: string;
  const stderr: string[] = [];
  beforeAll(async () => {
    dir = await tempDir("pwb-malformed-");
    root = path.join(dir, "node");
    await writeSimulatedNode(root, { role: "head" });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    stderr.length = 0;
  });

  it("has at least 30 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)("%s", async (_what, text, field) => {
    const file = path.join(dir, "site.yaml");
    await fs.writeFile(file, text);
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const before = await snapshot(root);
    for (const command of ["plan", "apply"]) {
      const code = await main(["node", "pwb-agent", "--root", root, "--no-imds", "--quiet", "--site", file, command]);
      expect(code, `${command}: ${stderr.join("")}`).toBe(2);
    }
    const out = stderr.join("");
    expect(out).toContain("pwb-agent: error: invalid site config");
    expect(out).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: ${field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    expect(out).toMatch(/: (missing: )?(expected|unknown key|not valid YAML)/);
    expect(await snapshot(root)).toEqual(before);
  });
});
