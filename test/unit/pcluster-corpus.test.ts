// The parity corpus (test/fixtures/cluster-configs): every file records in its header the verdict
// ParallelCluster gives it and why (`# pcluster: accepted|rejected: <validator or schema rule>`).
// `validate` must agree, except that the architecture's own rules (pwb-*) may reject more. The
// generated-*.yaml files are what `cluster-config render` makes from each input shape it knows,
// with one subnet and with several; they are regenerated here (UPDATE_GOLDEN=1 rewrites them).
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildRenderInput, parseClusterInput, type SiteForCluster } from "../../agent/pcluster/build-input.js";
import { renderClusterConfig } from "../../agent/pcluster/render.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { parsePclusterVersion } from "../../agent/pcluster/versions.js";
import { parseSiteText } from "../../agent/site/load.js";

const DIR = path.resolve("test/fixtures/cluster-configs");
const update = process.env.UPDATE_GOLDEN === "1";
const site = parseSiteText(readFileSync("cluster-config/site.example.yaml", "utf8"), "site.example.yaml");
const exampleInput = parse(readFileSync("cluster-config/templates/cluster-input.example.yaml", "utf8")) as Record<string, any>;

type Input = Record<string, any>;
const ONE_SUBNET = ["subnet-0aaaaaaaaaaaaaaa1"];
const THREE_SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"];
const cpuOnly: SiteForCluster = { ...site, slurm: { partitions: [{ name: "cpu", instanceType: "c7i-flex.large", gpus: null }] } };

/** Every queue, pool and storage shape render emits: version gates, OS, GPU queues, access point, options. */
const SHAPES: Array<{ name: string; what: string; site?: SiteForCluster; edit: (i: Input) => void }> = [
  { name: "example", what: "the shipped example (CPU, SPOT and GPU queues, directory service)", edit: () => {} },
  { name: "before-3-11", what: "ParallelCluster 3.10 (login pool without custom actions)", edit: (i) => (i.pclusterVersion = "3.10.0") },
  { name: "oldest", what: "ParallelCluster 3.8 on Rocky 8 (the oldest release supported)", edit: (i) => Object.assign(i, { pclusterVersion: "3.8.0", os: "rocky8" }) },
  {
    name: "access-point",
    what: "an EFS access point for /opt/rstudio (3.11+)",
    edit: (i) => Object.assign(i, { pclusterVersion: "3.11.0" }, { fileSystems: { ...i.fileSystems, workbenchEfsAccessPointId: "fsap-0123456789abcdef0" } }),
  },
  {
    name: "minimal",
    what: "no key pair, no directory service, no tags, default queue sizes, one CPU partition",
    site: cpuOnly,
    edit: (i) => {
      delete i.headNode.keyName;
      delete i.directoryService;
      delete i.tags;
      delete i.parameterPath;
      delete i.slurmAccounting.databaseName;
      i.queues = {};
    },
  },
  {
    name: "extra-groups-policies",
    what: "extra security groups and IAM policies on every node type, ONDEMAND queues with MinCount = MaxCount",
    edit: (i) => {
      for (const node of [i.headNode, i.login, i.compute]) {
        node.additionalSecurityGroups = ["sg-0bbbbbbbbbbbbbbb1"];
        node.policyArns = ["arn:aws:iam::123456789012:policy/site-extra"];
      }
      i.queues = { interactive: { minCount: 2, maxCount: 2 }, batch: { maxCount: 8 }, gpu: { minCount: 1, maxCount: 1 } };
    },
  },
  { name: "large-ubuntu", what: "5000 sessions (6 login nodes) on Ubuntu 24.04 with 3.13", edit: (i) => Object.assign(i, { pclusterVersion: "3.13.0", os: "ubuntu2404", login: { ...i.login, concurrentSessions: 5000 } }) },
  { name: "alinux2023", what: "Amazon Linux 2023 with 3.10", edit: (i) => Object.assign(i, { pclusterVersion: "3.10.0", os: "alinux2023" }) },
  { name: "job-completion", what: "Slurm job completion records on (site telemetry.jobCompletion: CustomSlurmSettings)", site: { ...site, telemetry: { jobCompletion: { enabled: true } } }, edit: () => {} },
];

const ACCEPTED_BECAUSE =
  "accepted: rendered by cluster-config render; checked against the schema (unknown keys, types, ranges), NameValidator, DuplicateNameValidator, ComputeResourceSizeValidator, SingleInstanceTypeSubnetValidator, ManagedFsxMultiAzValidator, SharedStorageMountDirValidator, tag validators";

function generated(): Array<{ file: string; text: string }> {
  return SHAPES.flatMap((shape) =>
    [
      { suffix: "one-subnet", subnets: ONE_SUBNET },
      { suffix: "three-subnets", subnets: THREE_SUBNETS },
    ].map(({ suffix, subnets }) => {
      const input = structuredClone(exampleInput);
      shape.edit(input);
      input.compute.subnetIds = subnets;
      const parsed = parseClusterInput(stringify(input), `${shape.name}.yaml`);
      const yaml = renderClusterConfig(buildRenderInput(shape.site ?? site, parsed), { site: "site.example.yaml", input: `${shape.name}-input.yaml` });
      const header = [`# valid: ${shape.what}, compute in ${subnets.length} subnet${subnets.length > 1 ? "s" : ""} (generated)`, `# pcluster: ${ACCEPTED_BECAUSE}`];
      return { file: `generated-${shape.name}-${suffix}.yaml`, text: `${header.join("\n")}\n${yaml}` };
    }),
  );
}

interface CorpusFile {
  file: string;
  text: string;
  verdict: "accepted" | "rejected";
  source: string;
  expect?: { rule: string; line: number; column: number };
  /** `# warns: rule line:col, …`: when given, exactly these warnings. */
  warns?: string[];
  version: string;
}

function corpus(): CorpusFile[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(DIR, file), "utf8");
      const pc = /^# pcluster: (accepted|rejected): (.+)$/m.exec(text);
      if (!pc) throw new Error(`${file}: no "# pcluster: accepted|rejected: <source>" header`);
      const e = /^# expect: (\S+) (\d+):(\d+)$/m.exec(text);
      const w = /^# warns: (.*)$/m.exec(text);
      const version = /--pcluster-version (\S+)/.exec(text)?.[1] ?? /^# AWS ParallelCluster (\S+) cluster configuration/m.exec(text)?.[1] ?? "3.16";
      return {
        file,
        text,
        verdict: pc[1] as "accepted" | "rejected",
        source: pc[2]!,
        ...(e ? { expect: { rule: e[1]!, line: Number(e[2]), column: Number(e[3]) } } : {}),
        ...(w ? { warns: w[1]!.split(", ") } : {}),
        version,
      };
    });
}

describe("the parity corpus", () => {
  it("the generated files are what render makes from each input shape, with one and three subnets", () => {
    for (const g of generated()) {
      const file = path.join(DIR, g.file);
      if (update) writeFileSync(file, g.text);
      expect(g.text, `${g.file} differs: UPDATE_GOLDEN=1 npx vitest run test/unit/pcluster-corpus.test.ts`).toBe(readFileSync(file, "utf8"));
    }
  });

  const files = corpus();

  it("has at least 60 files, valid and invalid, generated ones included, each verdict with its source", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(files.filter((f) => f.verdict === "accepted").length).toBeGreaterThanOrEqual(20);
    expect(files.filter((f) => f.verdict === "rejected").length).toBeGreaterThanOrEqual(30);
    expect(files.filter((f) => f.file.startsWith("generated-")).length).toBe(SHAPES.length * 2);
    for (const f of files) expect(f.source.length, f.file).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [f.file, f] as const))("%s: our verdict is ParallelCluster's (pwb-* may reject more)", (_name, f) => {
    const { issues } = validateClusterConfig(f.text, { version: parsePclusterVersion(f.version)! });
    const errors = issues.filter((i) => i.severity === "error");
    const theirs = errors.filter((i) => !i.rule.startsWith("pwb-"));
    if (f.verdict === "rejected") {
      expect(errors.length, `${f.file}: ParallelCluster rejects it, validate accepts it`).toBeGreaterThan(0);
    } else {
      expect(theirs.map((i) => `${i.rule} ${i.line}:${i.column} ${i.message}`), `${f.file}: ParallelCluster accepts it`).toEqual([]);
    }
    // A file that says which rule fires: exactly that one, at that spot.
    if (f.expect) {
      expect(errors.map((e) => `${e.rule} ${e.line}:${e.column}`)).toEqual([`${f.expect.rule} ${f.expect.line}:${f.expect.column}`]);
      if (f.verdict === "accepted") expect(f.expect.rule, `${f.file}: accepted by ParallelCluster, so only a pwb-* rule may reject it`).toMatch(/^pwb-/);
    } else {
      expect(errors, `${f.file}: no "# expect:" line, so no error`).toEqual([]);
    }
    if (f.warns) expect(issues.filter((i) => i.severity === "warning").map((i) => `${i.rule} ${i.line}:${i.column}`)).toEqual(f.warns);
  });
});
