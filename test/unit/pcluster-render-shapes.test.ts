// `cluster-config render` only makes files ParallelCluster accepts: for any input shape it takes
// (versions, OSes, partitions, CPU or GPU, capacity types, sizes, subnets, options), the rendered
// configuration passes `validate` with no error; inputs a release cannot take are refused up front.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildRenderInput, parseClusterInput, type SiteForCluster } from "../../agent/pcluster/build-input.js";
import { renderClusterConfig } from "../../agent/pcluster/render.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { AGENT_OSES, parsePclusterVersion, pclusterOses } from "../../agent/pcluster/versions.js";
import { BadInputError } from "../../agent/errors.js";
import { parseSiteText } from "../../agent/site/load.js";

const site = parseSiteText(readFileSync("cluster-config/site.example.yaml", "utf8"), "site.example.yaml");
const example = parse(readFileSync("cluster-config/templates/cluster-input.example.yaml", "utf8")) as Record<string, any>;
const VERSIONS = ["3.8.0", "3.9.0", "3.10.0", "3.11.0", "3.12.0", "3.13.0", "3.14.0", "3.15.0", "3.16.0"];
const sources = { site: "site.yaml", input: "input.yaml" };

const render = (s: SiteForCluster, input: Record<string, any>) => renderClusterConfig(buildRenderInput(s, parseClusterInput(stringify(input), "input.yaml")), sources);

const partition = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/).filter((n) => n !== "default"),
  instanceType: fc.constantFrom("m6i.xlarge", "c7i-flex.large", "g5.2xlarge", "p4de.24xlarge", "u-6tb1.metal", "r7iz.metal-16xl"),
  gpu: fc.boolean(),
  minCount: fc.integer({ min: 0, max: 5 }),
  extra: fc.integer({ min: 0, max: 100 }),
  spot: fc.boolean(),
});

// Values YAML 1.1 (what pcluster's loader reads) would take for booleans, numbers or dates unless quoted.
const tagValue = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom("yes", "no", "on", "Off", "y", "1:30", "2024-01-01", "0123", "0x1F", "3.5e2", "null", "~", "true", "=", "<<", "1e3", "08", ".inf"));

const shape = fc.record({
  version: fc.constantFrom(...VERSIONS),
  osPick: fc.nat(),
  subnets: fc.integer({ min: 1, max: 6 }),
  partitions: fc.uniqueArray(partition, { minLength: 1, maxLength: 6, selector: (p) => p.name }),
  sessions: fc.integer({ min: 1, max: 8000 }),
  count: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined }),
  accessPoint: fc.boolean(),
  directory: fc.boolean(),
  keyName: fc.boolean(),
  extras: fc.boolean(),
  jobCompletion: fc.boolean(),
  tags: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,30}$/).filter((k) => !k.startsWith("parallelcluster:") && !k.startsWith("pwb-agent:") && !/^aws:/i.test(k)), tagValue, { maxKeys: 10 }),
});

describe("cluster-config render: every input shape validates", () => {
  it("renders configurations with no validate error, whatever the shape (300 random shapes)", () => {
    fc.assert(
      fc.property(shape, (s) => {
        const version = parsePclusterVersion(s.version)!;
        const oses = AGENT_OSES.filter((o) => pclusterOses(version).includes(o));
        const input = structuredClone(example);
        input.pclusterVersion = s.version;
        input.os = oses[s.osPick % oses.length];
        input.compute.subnetIds = Array.from({ length: s.subnets }, (_, i) => `subnet-0aaaaaaaaaaaaaa${String(i).padStart(2, "0")}`);
        input.queues = Object.fromEntries(s.partitions.map((p) => [p.name, { minCount: p.minCount, maxCount: Math.max(1, p.minCount + p.extra), capacityType: p.spot ? "SPOT" : "ONDEMAND" }]));
        input.login = { ...input.login, concurrentSessions: s.sessions, ...(s.count ? { count: s.count } : {}) };
        if (s.accessPoint && version.minor >= 11) input.fileSystems.workbenchEfsAccessPointId = "fsap-0123456789abcdef0";
        if (!s.directory) delete input.directoryService;
        if (!s.keyName) delete input.headNode.keyName;
        if (s.extras) for (const node of [input.headNode, input.login, input.compute]) Object.assign(node, { additionalSecurityGroups: ["sg-0bbbbbbbbbbbbbbb1"], policyArns: ["arn:aws:iam::123456789012:policy/x"] });
        input.tags = s.tags;
        const partitions = s.partitions.map((p) => ({ name: p.name, instanceType: p.instanceType, gpus: p.gpu ? { count: 1 } : null }));
        const yaml = render({ ...site, slurm: { partitions }, telemetry: { jobCompletion: { enabled: s.jobCompletion } } }, input);
        const errors = validateClusterConfig(yaml, { version, clusterName: input.name }).issues.filter((i) => i.severity === "error");
        expect(errors).toEqual([]);
        // Several subnets: every compute resource lists its type under Instances.
        expect(yaml.includes("          InstanceType: ")).toBe(s.subnets === 1);
      }),
      { numRuns: 300, seed: 14 },
    );
  });

  describe("refuses, naming the field, what the ParallelCluster release cannot take", () => {
    const refuse = (edit: (i: Record<string, any>) => void, message: RegExp) => {
      const input = structuredClone(example);
      edit(input);
      expect(() => render(site, input)).toThrow(BadInputError);
      expect(() => render(site, input)).toThrow(message);
    };
    it("an OS the release does not support", () => refuse((i) => Object.assign(i, { pclusterVersion: "3.9.0", os: "alinux2023" }), /^os: ParallelCluster 3\.9\.0 does not support alinux2023/));
    it("an EFS access point before 3.11", () =>
      refuse((i) => Object.assign(i, { pclusterVersion: "3.10.0", fileSystems: { ...i.fileSystems, workbenchEfsAccessPointId: "fsap-0123456789abcdef0" } }), /fileSystems\.workbenchEfsAccessPointId: EFS access points need ParallelCluster 3\.11\.0/));
    it("a compute subnet twice", () => refuse((i) => (i.compute.subnetIds = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"]), /compute\.subnetIds: expected each subnet once/));
    it("a tag key ParallelCluster reserves, or the one render writes", () => {
      refuse((i) => (i.tags = { "parallelcluster:owner": "x" }), /tags\.parallelcluster:owner: expected a tag key not starting with parallelcluster:/);
      refuse((i) => (i.tags = { "pwb-agent:concurrent-sessions": "5" }), /tags\.pwb-agent:concurrent-sessions: expected a tag key/);
      refuse((i) => (i.tags = { "Aws:team": "x" }), /tags\.Aws:team: expected a tag key not starting with parallelcluster: or aws:/);
      refuse((i) => (i.tags = { team: "" }), /tags\.team: expected a tag value of 1 to 256 characters/);
    });
    it("more tags than a node can carry", () => refuse((i) => (i.tags = Object.fromEntries(Array.from({ length: 40 }, (_, n) => [`t${n}`, "v"]))), /tags: expected at most 39 tags/));
  });
});
