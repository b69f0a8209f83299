// `cluster-config render`: site file + cluster input → cluster.yaml, the hook and the login/compute
// IAM policies. The example inputs render to the checked-in examples (golden files; regenerate with
// UPDATE_GOLDEN=1 after an intended change), and the rendered configuration passes `validate`.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildRenderInput, computeResourceName, parseClusterInput, type SiteForCluster } from "../../agent/pcluster/build-input.js";
import { renderHookScript } from "../../agent/pcluster/hook.js";
import { renderHeadPolicy, renderNodePolicy } from "../../agent/pcluster/iam-policies.js";
import { renderAll } from "../../agent/pcluster/outputs.js";
import { validateClusterConfig } from "../../agent/pcluster/validate.js";
import { validateClusterFile } from "../../agent/pcluster/validate-file.js";
import { formatVersion, parsePclusterVersion } from "../../agent/pcluster/versions.js";
import { BadInputError } from "../../agent/errors.js";
import { parseSiteText } from "../../agent/site/load.js";

const update = process.env.UPDATE_GOLDEN === "1";
const SITE_FILE = "cluster-config/site.example.yaml";
const INPUT_FILE = "cluster-config/templates/cluster-input.example.yaml";
const GOLDEN: Record<string, string> = {
  "cluster.yaml": "cluster-config/templates/cluster.example.yaml",
  "pwb-agent-hook.sh": "cluster-config/templates/pwb-agent-hook.sh",
  "iam/pwb-agent-pwb-head.json": "cluster-config/iam/head-node-policy.example.json",
  "iam/pwb-agent-pwb-login.json": "cluster-config/iam/login-node-policy.example.json",
  "iam/pwb-agent-pwb-compute.json": "cluster-config/iam/compute-node-policy.example.json",
};

const site = parseSiteText(readFileSync(SITE_FILE, "utf8"), SITE_FILE);
const inputText = readFileSync(INPUT_FILE, "utf8");
const exampleInput = () => parseClusterInput(inputText, INPUT_FILE);
const sources = { site: "site.example.yaml", input: "cluster-input.example.yaml" };
const scratch = mkdtempSync(path.join(os.tmpdir(), "pwb-render-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function renderWith(edit: (text: string) => string, s: SiteForCluster = site) {
  return renderAll(buildRenderInput(s, parseClusterInput(edit(inputText), "input.yaml")), sources);
}

describe("cluster-config render", () => {
  const files = renderAll(buildRenderInput(site, exampleInput()), sources);
  const cluster = files.find((f) => f.path === "cluster.yaml")!.content;

  it("renders the example site + input to the checked-in examples", () => {
    expect(files.map((f) => f.path)).toEqual(Object.keys(GOLDEN));
    for (const f of files) {
      const golden = GOLDEN[f.path]!;
      if (update) writeFileSync(golden, f.content);
      expect(f.content, `${golden} differs: UPDATE_GOLDEN=1 npx vitest run ${path.relative(process.cwd(), __filename)}`).toBe(readFileSync(golden, "utf8"));
    }
    expect(files.find((f) => f.path === "pwb-agent-hook.sh")!.mode).toBe(0o755);
  });

  it("the rendered configuration passes validate with no error and no warning, for its version and the newest", () => {
    for (const version of ["3.13", "3.16"]) {
      expect(validateClusterConfig(cluster, { version: parsePclusterVersion(version)!, clusterName: "pwb" }).issues).toEqual([]);
    }
  });

  it("has every part the architecture needs", () => {
    for (const needle of [
      "  CustomAmi: ami-0123456789abcdef0",
      "  SharedStorageType: Efs",
      "    MountDir: /home\n    StorageType: FsxLustre",
      "    MountDir: /opt/rstudio\n    StorageType: Efs",
      "      Count: 4", // 800 sessions → 4 login nodes
      "      Uri: slurm-db.cluster-abc123.eu-west-1.rds.amazonaws.com:3306",
      "    - Name: interactive", "    - Name: batch", "    - Name: gpu",
      "DirectoryService:",
      "  - Key: pwb-agent:concurrent-sessions\n    Value: \"800\"",
    ]) {
      expect(cluster).toContain(needle);
    }
    // The hook on the head node, every queue and the login pool.
    expect(cluster.match(/Script: s3:\/\/pwb-artifacts-example\/cluster\/pwb\/pwb-agent-hook\.sh/g)).toHaveLength(5);
    expect(cluster).not.toMatch(/[&*][a-z]\d/); // no YAML anchors or aliases
  });

  it("sizes the login pool by Posit's table unless a count is given", () => {
    const count = (sessions: string, extra = "") => {
      const out = renderWith((t) => t.replace("concurrentSessions: 800", `concurrentSessions: ${sessions}${extra}`))[0]!.content;
      return Number(/      Count: (\d+)/.exec(out)![1]);
    };
    expect([count("300"), count("800"), count("1500"), count("5000")]).toEqual([2, 4, 6, 6]);
    expect(count("300", "\n  count: 3")).toBe(3);
    expect(() => count("300", "\n  count: 1")).toThrow(/login\.count: expected at least 2/);
  });

  it("before 3.11 the login pool gets no custom action, and validate says the AMI must converge it", () => {
    const out = renderWith((t) => t.replace("pclusterVersion: 3.13.0", "pclusterVersion: 3.10.0"))[0]!.content;
    expect(out).not.toMatch(/LoginNodes:[\s\S]*CustomActions:[\s\S]*Scheduling:/);
    const result = validateClusterConfig(out, { version: parsePclusterVersion("3.10")! });
    expect(result.errors).toBe(0);
    expect(result.issues.map((i) => i.rule)).toEqual(["pwb-hook"]);
  });

  it("without pclusterVersion renders for the newest release (3.16), and the file validates as the release its header names", () => {
    const out = renderWith((t) => t.replace("pclusterVersion: 3.13.0\n", ""))[0]!.content;
    expect(out).toContain("# AWS ParallelCluster 3.16.0 cluster configuration");
    for (const version of ["3.8.0", "3.10.0", "3.16.0"]) {
      const text = renderWith((t) => t.replace("pclusterVersion: 3.13.0", `pclusterVersion: ${version}`).replace(/^os: .*$/m, "os: rocky8"))[0]!.content;
      const result = validateClusterFile(new TextEncoder().encode(text), {});
      expect([formatVersion(result.version), result.errors], version).toEqual([version, 0]);
    }
  });

  it("names compute resources after instance types", () => {
    expect(computeResourceName("m6i.xlarge")).toBe("m6i-xlarge");
    expect(computeResourceName("p4de.24xlarge")).toBe("p4de-24xlarge");
  });

  describe("bad input is reported with file:line:column", () => {
    it("a malformed field in the cluster input", () => {
      const bad = inputText.replace("  subnetId: subnet-0aaaaaaaaaaaaaaa1\n  keyName", "  subnetId: subnet-12\n  keyName");
      expect(() => parseClusterInput(bad, "in.yaml")).toThrow(BadInputError);
      expect(() => parseClusterInput(bad, "in.yaml")).toThrow(/^in\.yaml:\d+:13: headNode\.subnetId: expected a subnet id/);
    });

    it("an unknown key names itself", () => {
      const bad = inputText.replace("region: eu-west-1\n", "region: eu-west-1\nregoin: x\n");
      const line = bad.split("\n").indexOf("regoin: x") + 1;
      expect(() => parseClusterInput(bad, "in.yaml")).toThrow(new RegExp(`in\\.yaml:${line}:1: \\(top level\\): .*unknown key regoin`));
    });

    it("a queue override for a partition the site does not have, or a site partition pcluster cannot name", () => {
      expect(() => renderWith((t) => t.replace("  gpu: { maxCount: 4 }", "  gpus: { maxCount: 4 }"))).toThrow(/queues: gpus is not a partition/);
      const upper: SiteForCluster = { ...site, slurm: { partitions: [{ name: "Interactive", instanceType: "m6i.xlarge", gpus: null }] } };
      expect(() => renderWith((t) => t.replace(/queues:\n(  .*\n)+/, ""), upper)).toThrow(/partition "Interactive" cannot be a ParallelCluster queue/);
    });
  });
});

describe("the hook script", () => {
  const hook = renderHookScript();
  const file = path.join(scratch, "pwb-agent-hook.sh");
  writeFileSync(file, hook);

  it("passes bash -n and shellcheck", () => {
    const n = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    expect(n.status, n.stderr).toBe(0);
    const sc = spawnSync("shellcheck", [file], { encoding: "utf8" });
    if (sc.error) throw new Error("shellcheck missing: apt-get install shellcheck");
    expect(sc.stdout).toBe("");
    expect(sc.status).toBe(0);
  });

  it("execs the agent with the custom action's Args, `apply` by default; fails the bootstrap when the agent is missing", () => {
    const stub = path.join(scratch, "agent-stub");
    writeFileSync(stub, '#!/bin/sh\nprintf "%s\\n" "$@"\nexit 7\n');
    chmodSync(stub, 0o755);
    const script = path.join(scratch, "hook-stub.sh");
    writeFileSync(script, renderHookScript(stub));
    const withArgs = spawnSync("bash", [script, "--site", "s3://b/site.yaml", "apply"], { encoding: "utf8" });
    expect(withArgs.stdout).toBe("--site\ns3://b/site.yaml\napply\n");
    expect(withArgs.status).toBe(7); // the agent's own exit code
    expect(spawnSync("bash", [script], { encoding: "utf8" }).stdout).toBe("apply\n");
    writeFileSync(script, renderHookScript(path.join(scratch, "absent")));
    const missing = spawnSync("bash", [script], { encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("build the AMI with the pwb-agent package");
  });
});

describe("head node IAM policy", () => {
  const input = buildRenderInput(site, exampleInput());

  it("reads the database password and the agent's parameters, and the site's ALB statements (test/integration/alb-iam.test.ts)", () => {
    const doc = JSON.parse(renderHeadPolicy(input)) as { Statement: Array<{ Sid: string; Effect: string; Action: string | string[]; Resource: string | string[] }> };
    const password = doc.Statement.find((s) => s.Sid === "HeadReadsWorkbenchDatabasePassword")!;
    expect(password).toMatchObject({ Effect: "Allow", Action: "ssm:GetParameter", Resource: ["arn:aws:ssm:eu-west-1:123456789012:parameter/pwb/database/password"] });
    expect(doc.Statement.some((s) => s.Effect === "Deny")).toBe(false);
    expect(doc.Statement.map((s) => s.Sid)).toContain("SyncTargetsOfThisClustersWorkbenchTargetGroupOnly");
    const noAlb = JSON.parse(renderHeadPolicy({ ...input, alb: null })) as typeof doc;
    expect(noAlb.Statement.map((s) => s.Sid)).toEqual(["HeadReadsWorkbenchDatabasePassword", "HeadReadsAgentParameters"]);
    expect(new Set(doc.Statement.map((s) => s.Sid)).size).toBe(doc.Statement.length);
  });

  it("for a site whose alb: names VPC, subnets, zone and login groups: cluster-config/iam/pwb-head-node-alb.json (golden)", () => {
    // What the head policy's ALB share looks like when nothing of it is left out (the example site names no VPC).
    const full: SiteForCluster = {
      ...site,
      alb: { ...site.alb, vpcId: "vpc-0123456789abcdef0", subnets: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"], hostedZoneId: "Z0123456789ABCDEFGHIJ", recordName: "workbench.example.com", targetSecurityGroupIds: ["sg-0123456789abcdef0"] },
    };
    const doc = JSON.parse(renderHeadPolicy(buildRenderInput(full, exampleInput()))) as { Version: string; Statement: Array<{ Action: string | string[] }> };
    const alb = { Version: doc.Version, Statement: doc.Statement.filter((s) => ![s.Action].flat().every((a) => a.startsWith("ssm:"))) };
    const text = JSON.stringify(alb, null, 2) + "\n";
    const golden = "cluster-config/iam/pwb-head-node-alb.json";
    if (update) writeFileSync(golden, text);
    expect(text, `${golden} differs: UPDATE_GOLDEN=1`).toBe(readFileSync(golden, "utf8"));
  });

  it("is attached to the head node in the rendered cluster config", () => {
    const cluster = renderAll(input, sources).find((f) => f.path === "cluster.yaml")!.content;
    expect(cluster).toContain("Policy: arn:aws:iam::123456789012:policy/pwb-agent-pwb-head");
  });
});

describe("login and compute IAM policies", () => {
  const input = buildRenderInput(site, exampleInput());

  it("are least privilege: read the hook, site file and mirror, the agent's parameters, never the database password", () => {
    for (const role of ["login", "compute"] as const) {
      const doc = JSON.parse(renderNodePolicy(input, role)) as { Version: string; Statement: Array<{ Sid: string; Effect: string; Action: string | string[]; Resource: string | string[] }> };
      expect(doc.Version).toBe("2012-10-17");
      const actions = doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat());
      // Login nodes also register themselves with the Workbench target group (test/integration/alb-self.test.ts).
      const selfRegistration = role === "login"
        ? ["DescribeTargetGroups", "DescribeTags", "DescribeTargetHealth", "DescribeTargetGroupAttributes", "RegisterTargets", "DeregisterTargets"].map((a) => `elasticloadbalancing:${a}`)
        : [];
      expect(new Set(actions)).toEqual(new Set(["s3:GetObject", "s3:ListBucket", "ssm:GetParameter", "ssm:GetParameters", ...selfRegistration]));
      for (const s of doc.Statement) {
        // ELB's Describe* calls take no resource-level scope: "*" only for a statement of those alone.
        const describesOnly = [s.Action].flat().every((a) => a.startsWith("elasticloadbalancing:Describe"));
        for (const r of [s.Resource].flat()) if (!describesOnly) expect(r, s.Sid).not.toBe("*");
        expect(new Set(doc.Statement.map((x) => x.Sid)).size).toBe(doc.Statement.length);
      }
      const deny = doc.Statement.find((s) => s.Effect === "Deny")!;
      expect(deny.Resource).toEqual(["arn:aws:ssm:eu-west-1:123456789012:parameter/pwb/database/password"]);
      expect(JSON.stringify(doc)).toContain("arn:aws:s3:::pwb-artifacts-example/cluster/pwb/site.yaml");
    }
  });

  it("leave out the S3 mirror statements for an https mirror, and use the region's partition", () => {
    const https: SiteForCluster = { ...site, mirror: { url: "https://mirror.example.com/pwb" } };
    const cn = parseClusterInput(inputText.replace("region: eu-west-1", "region: cn-north-1"), "in.yaml");
    const doc = renderNodePolicy(buildRenderInput(https, cn), "login");
    expect(doc).not.toContain("Mirror");
    expect(doc).toContain("arn:aws-cn:s3:::pwb-artifacts-example/cluster/pwb/pwb-agent-hook.sh");
  });
});
