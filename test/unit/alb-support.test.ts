import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderMetrics } from "../../agent/alb/sync/metrics.js";
import { defaultAlbName, isValidElbName, loginPoolTargetGroupName } from "../../agent/alb/names.js";
import { poolsFromClusterConfig } from "../../agent/alb/sync/pools.js";
import { albSettingProblems, resolveAlbSettings } from "../../agent/alb/settings.js";
import { freshState, loadState, saveState } from "../../agent/alb/sync/state.js";
import { Root } from "../../agent/nodefs/root.js";
import { createLogger } from "../../agent/log.js";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

describe("names", () => {
  it("login pool target group names match ParallelCluster's own test vectors", () => {
    // aws-parallelcluster cli/tests: _get_resource_combination_name(cluster, pool, partial_length=7, hash_length=16)
    expect(loginPoolTargetGroupName("test-cluster", "test-pool")).toBe("test-cl-test-po-18c74b16dfbc78ac");
    expect(loginPoolTargetGroupName("a", "b")).toBe("a-b-fb8e20fc2e4c3f24");
  });

  it("default ALB / target group names are valid ELB names for any cluster name ParallelCluster allows", () => {
    for (const cluster of ["c", "pwb-demo", "A-very-long-cluster-name-that-ParallelCluster-allows-60chars", "x-".repeat(20)]) {
      const n = defaultAlbName(cluster);
      expect([cluster, isValidElbName(n), n.length <= 32]).toEqual([cluster, true, true]);
    }
    expect(defaultAlbName("pwb-demo")).not.toBe(defaultAlbName("pwb-demo2"));
    expect(isValidElbName("-x")).toBe(false);
    expect(isValidElbName("internal-x")).toBe(false);
    expect(isValidElbName("a".repeat(33))).toBe(false);
  });
});

describe("AlbSettings", () => {
  it("defaults: internal HTTPS 443, Workbench 8787, /health-check, lb_cookie stickiness", () => {
    const s = resolveAlbSettings("pwb-demo");
    expect(s).toMatchObject({
      albName: defaultAlbName("pwb-demo"), targetGroupName: defaultAlbName("pwb-demo"), securityGroupName: "pwb-alb-pwb-demo",
      scheme: "internal", listenerPort: 443, targetPort: 8787, healthCheckPath: "/health-check", stickiness: true, vpcId: null, subnets: [],
    });
    expect(albSettingProblems(s, "sync")).toEqual([]);
  });

  it("ensure needs a VPC, two subnets and a certificate, and says so per field", () => {
    const problems = albSettingProblems(resolveAlbSettings("pwb-demo", { subnets: ["subnet-0abc0000000000001"] }), "ensure");
    expect(problems.map((p) => p.field)).toEqual(["vpcId", "subnets", "certificateArn"]);
    expect(problems[1]!.problem).toBe("at least two subnets in different Availability Zones are required, got 1");
  });

  it("malformed values are named with what was expected", () => {
    const s = resolveAlbSettings("pwb-demo", {
      vpcId: "my-vpc", subnets: ["subnet-0abc0000000000001", "subnet-0abc0000000000001"], certificateArn: "arn:aws:acm:eu-west-1:123:cert",
      ingressCidrs: ["10.0.0.0/33"], targetPort: 70000, healthCheckPath: "health", albName: "-bad", undefinedKey: undefined,
    } as never);
    const byField = Object.fromEntries(albSettingProblems(s, "ensure").map((p) => [p.field, p.problem]));
    expect(byField).toMatchObject({
      vpcId: "expected a VPC id like vpc-0123456789abcdef0",
      subnets: "a subnet is listed twice",
      certificateArn: expect.stringMatching(/^expected an ACM certificate ARN .* or an IAM server certificate ARN/),
      ingressCidrs: expect.stringMatching(/^expected an IPv4 CIDR block like 10\.0\.0\.0\/16/),
      targetPort: "expected a port from 1 to 65535",
      healthCheckPath: "expected a path starting with / (at most 1024 characters)",
    });
    expect(byField.albName).toMatch(/^expected an ALB name \(1-32 letters/);
  });
});

describe("pools from the cluster configuration", () => {
  it("reads LoginNodes.Pools[].Name; no LoginNodes section is no pools; broken YAML is unknown", () => {
    const yaml = "Region: eu-west-1\nLoginNodes:\n  Pools:\n    - Name: login\n      Count: 2\n    - Name: gpu\n      Count: 1\n";
    expect(poolsFromClusterConfig(yaml)).toEqual(["login", "gpu"]);
    expect(poolsFromClusterConfig("Region: eu-west-1\nHeadNode: {}\n")).toEqual([]);
    expect(poolsFromClusterConfig("LoginNodes: [unclosed\n")).toBeNull();
  });
});

describe("state file", () => {
  const log = createLogger({ level: "silent" });
  it("round-trips; a broken, foreign or other-cluster file starts fresh (other cluster keeps counters)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-albstate-"));
    dirs.push(dir);
    const root = new Root(dir);
    const file = "/var/lib/pwb-agent/alb-sync.json";
    expect(await loadState(root, file, "c1", "eu-west-1", log)).toEqual(freshState("c1", "eu-west-1"));
    const s = freshState("c1", "eu-west-1");
    s.pools.login = { targetGroupArn: "arn:tg", via: "name" };
    s.counters.registered = 3;
    await saveState(root, file, s);
    expect((await fs.stat(path.join(dir, file))).mode & 0o777).toBe(0o644);
    expect(await loadState(root, file, "c1", "eu-west-1", log)).toEqual(s);
    const other = await loadState(root, file, "c2", "eu-west-1", log);
    expect([other.pools, other.counters.registered]).toEqual([{}, 3]);
    await fs.writeFile(path.join(dir, file), "{ torn");
    expect(await loadState(root, file, "c1", "eu-west-1", log)).toEqual(freshState("c1", "eu-west-1"));
    await fs.writeFile(path.join(dir, file), JSON.stringify({ version: 99 }));
    expect(await loadState(root, file, "c1", "eu-west-1", log)).toEqual(freshState("c1", "eu-west-1"));
  });
});

describe("Prometheus textfile", () => {
  it("has HELP/TYPE for each metric, counters from the state, the last tick's gauges", () => {
    const s = freshState('c"1', "eu-west-1");
    s.lastRun = 1_700_000_000_000;
    s.lastSuccess = 1_699_999_970_000;
    s.counters = { ticks: 10, failedTicks: 1, apiCalls: 25, apiErrors: 2, throttled: 4, registered: 3, deregistered: 1, untrustedReads: 2 };
    const text = renderMetrics(s, { success: false, durationMs: 150, apiCalls: 2, desired: 2, actual: 3, drift: 1, held: 0, blocked: 1 });
    expect(text).toContain('pwb_alb_sync_info{cluster="c\\"1",region="eu-west-1"} 1\n');
    expect(text).toContain("pwb_alb_sync_last_run_timestamp_seconds 1700000000\n");
    expect(text).toContain("pwb_alb_sync_untrusted_reads_total 2\n");
    expect(text).toContain("pwb_alb_sync_last_success_timestamp_seconds 1699999970\n");
    expect(text).toContain("pwb_alb_sync_last_run_success 0\n");
    expect(text).toContain("pwb_alb_sync_drift_targets 1\n");
    expect(text).toContain("# TYPE pwb_alb_sync_api_calls_total counter\npwb_alb_sync_api_calls_total 25\n");
    expect(text).toContain('pwb_alb_sync_changes_total{action="register"} 3\npwb_alb_sync_changes_total{action="deregister"} 1\n');
    // Every sample line is `name{labels} number`, every metric has HELP and TYPE.
    const samples = text.split("\n").filter((l) => l && !l.startsWith("#"));
    for (const l of samples) expect(l).toMatch(/^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$/);
    const names = new Set(samples.map((l) => l.split(/[{ ]/)[0]));
    for (const n of names) expect(text).toContain(`# HELP ${n} `);
  });
});
