import { execFile, spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import {
  DeregisterTargetsCommand, DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client,
  RegisterTargetsCommand, paginateDescribeLoadBalancers,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeInstancesCommand, EC2Client, paginateDescribeInstances } from "@aws-sdk/client-ec2";
import { GetCommandInvocationCommand, GetParameterCommand, GetParametersCommand, ListCommandInvocationsCommand, SSMClient, SendCommandCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_CREDENTIALS } from "../aws-endpoint/harness.js";
import { startAwsEndpoint, type AwsEndpoint } from "../aws-endpoint/index.js";
import { seedLoginCluster, type LoginCluster } from "../aws-endpoint/scenarios.js";

/*
 * The loopback endpoint speaks the real wire protocols: the real SDK v3 clients (no mocks) and the
 * AWS CLI parse its answers, errors and pagination exactly as they would AWS's.
 */

const execFileP = promisify(execFile);
let ep: AwsEndpoint;
let c: LoginCluster;

beforeAll(async () => {
  ep = await startAwsEndpoint();
  c = seedLoginCluster(ep.model, { otherLoadBalancers: 2 });
  ep.model.ssm.putParameter({ Name: "/pwb/db/password", Value: "s3cret-Value-1", Type: "SecureString" });
  ep.model.ssm.putParameter({ Name: "/pwb/plain", Value: "hello" });
});
afterAll(async () => ep?.close());

const config = (maxAttempts = 1) => ({ region: "eu-west-1", endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts });
const elbv2 = (maxAttempts?: number) => new ElasticLoadBalancingV2Client(config(maxAttempts));
const ec2 = (maxAttempts?: number) => new EC2Client(config(maxAttempts));
const ssm = (maxAttempts?: number) => new SSMClient(config(maxAttempts));

describe("ELBv2 over awsQuery", () => {
  it("DescribeLoadBalancers pages with Marker/NextMarker; the SDK's paginator follows them", async () => {
    const f = ep.faults.pageSize(1, { action: "DescribeLoadBalancers" });
    const names: string[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: elbv2() }, {})) names.push(...(page.LoadBalancers ?? []).map((l) => l.LoadBalancerName!));
    f.remove();
    expect(names).toEqual([...ep.model.loadBalancers.values()].map((l) => l.name));
    expect(f.hits).toBe(3);
    const lb = (await elbv2().send(new DescribeLoadBalancersCommand({ Names: [c.pools[0]!.nlb.name] }))).LoadBalancers![0]!;
    expect(lb).toMatchObject({ Type: "network", Scheme: "internal", State: { Code: "active" }, VpcId: "vpc-0abc0000000000001" });
    expect(lb.CreatedTime).toBeInstanceOf(Date);
  });

  it("errors arrive as AWS's: code, message, HTTP status, request id from the header", async () => {
    const err = await elbv2().send(new DescribeLoadBalancersCommand({ Names: ["nope"] })).catch((e: unknown) => e as Record<string, unknown>);
    expect(err).toMatchObject({ name: "LoadBalancerNotFoundException", Code: "LoadBalancerNotFound", $fault: "client", $metadata: { httpStatusCode: 400 } });
    expect((err.$metadata as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    const tooMany = await elbv2().send(new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, (_, i) => `arn:x:${i}`) })).catch((e: { Code: string }) => e.Code);
    expect(tooMany).toBe("ValidationError");
  });

  it("target health: states and reasons; an empty group is []", async () => {
    const tg = c.pools[0]!.targetGroup;
    ep.model.setTargetHealth(tg.arn, c.pools[0]!.instances[0]!, "draining");
    const out = await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.arn }));
    expect(out.TargetHealthDescriptions!.map((d) => [d.Target!.Port, d.TargetHealth!.State, d.TargetHealth!.Reason])).toEqual([
      [22, "draining", "Target.DeregistrationInProgress"],
      [22, "healthy", undefined],
    ]);
    ep.model.setTargetHealth(tg.arn, c.pools[0]!.instances[0]!, "healthy");
    const empty = await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn }));
    expect(empty.TargetHealthDescriptions).toEqual([]);
  });

  it("RegisterTargets refuses an instance that is not running (InvalidTarget); DeregisterTargets of an absent target succeeds, of an unknown instance fails", async () => {
    const stopped = ep.model.addInstance({ state: "stopped" }).id;
    const err = await elbv2().send(new RegisterTargetsCommand({ TargetGroupArn: c.workbench!.arn, Targets: [{ Id: stopped, Port: 8787 }] })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "InvalidTargetException", message: `The following targets are not in a running state and cannot be registered: '${stopped}'` });
    await expect(elbv2().send(new DeregisterTargetsCommand({ TargetGroupArn: c.workbench!.arn, Targets: [{ Id: stopped, Port: 8787 }] }))).resolves.toBeDefined();
    // An id EC2 does not know fails the whole batch, as AWS does.
    const unknown = await elbv2().send(new DeregisterTargetsCommand({ TargetGroupArn: c.workbench!.arn, Targets: [{ Id: stopped, Port: 8787 }, { Id: "i-0abc0000000000999", Port: 8787 }] })).catch((e: Error) => e);
    expect(unknown).toMatchObject({ name: "InvalidTargetException", message: "The following targets are not valid instances: 'i-0abc0000000000999'" });
  });

  it("throttling (code Throttling, HTTP 400) is retried by the SDK's standard mode and reported after the last attempt", async () => {
    ep.faults.throttle({ action: "DescribeTargetHealth", times: 1 });
    const ok = await elbv2(2).send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn }));
    expect(ok.$metadata.attempts).toBe(2);
    const f = ep.faults.throttle({ action: "DescribeTargetHealth" });
    const err = await elbv2(2).send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn })).catch((e: Record<string, unknown>) => e);
    f.remove();
    expect(err).toMatchObject({ name: "Throttling", Code: "Throttling", message: "Rate exceeded", $metadata: { httpStatusCode: 400, attempts: 2 } });
  });

  it("a 5xx is retried; a hung call ends at the client's timeout; a dropped answer is retried after the action took effect", async () => {
    ep.faults.serverError({ action: "DescribeTargetHealth", times: 1, status: 503 });
    expect((await elbv2(2).send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn }))).$metadata.attempts).toBe(2);

    const hang = ep.faults.hang({ action: "DescribeTargetHealth" });
    const client = new ElasticLoadBalancingV2Client({ ...config(1), requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true } });
    const t0 = Date.now();
    const err = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn })).catch((e: Error) => e);
    hang.remove();
    expect(err).toMatchObject({ name: "TimeoutError" });
    expect(Date.now() - t0).toBeLessThan(2_000);

    const id = c.pools[0]!.instances[0]!;
    ep.faults.dropResponse({ action: "RegisterTargets", times: 1 });
    const out = await elbv2(2).send(new RegisterTargetsCommand({ TargetGroupArn: c.workbench!.arn, Targets: [{ Id: id, Port: 8787 }] }));
    expect(out.$metadata.attempts).toBe(2);
    expect(ep.model.targetsOf(c.workbench!.arn).map((t) => t.id)).toEqual([id]);
    ep.model.removeTarget(c.workbench!.arn, id);
  });

  it("latency is added per call; faults can target one request by its parameters", async () => {
    ep.latencyMs = 60;
    const t0 = Date.now();
    await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn }));
    ep.latencyMs = 0;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    const nlb = c.pools[0]!.targetGroup.arn;
    const f = ep.faults.emptyPages({ action: "DescribeTargetHealth", when: (call) => call.params.TargetGroupArn === nlb });
    expect((await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: nlb }))).TargetHealthDescriptions).toEqual([]);
    expect((await elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn }))).TargetHealthDescriptions).toEqual([]);
    expect(f.hits).toBe(1);
    f.remove();
  });
});

describe("EC2 over ec2Query", () => {
  it("DescribeInstances filters on tags and state, pages with MaxResults/NextToken", async () => {
    ep.model.addInstance({ state: "terminated", tags: { "parallelcluster:node-type": "LoginNode", "parallelcluster:cluster-name": "pwb-demo" } });
    const ids: string[] = [];
    const filters = [
      { Name: "tag:parallelcluster:cluster-name", Values: ["pwb-demo"] },
      { Name: "tag:parallelcluster:node-type", Values: ["LoginNode"] },
      { Name: "instance-state-name", Values: ["running"] },
    ];
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: ec2(), pageSize: 5 }, { Filters: filters })) {
      pages += 1;
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ids.push(i.InstanceId!);
    }
    expect(ids.sort()).toEqual([...c.pools[0]!.instances].sort());
    expect(pages).toBe(1);
    const one = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [c.pools[0]!.instances[0]!] }));
    const inst = one.Reservations![0]!.Instances![0]!;
    expect(inst).toMatchObject({ State: { Code: 16, Name: "running" }, VpcId: "vpc-0abc0000000000001" });
    expect(inst.Tags).toContainEqual({ Key: "parallelcluster:login-nodes-pool-name", Value: "login" });
  });

  it("EC2 errors: <Response><Errors>, RequestLimitExceeded as HTTP 503", async () => {
    const missing = await ec2().send(new DescribeInstancesCommand({ InstanceIds: ["i-0abc0000000000404"] })).catch((e: Record<string, unknown>) => e);
    expect(missing).toMatchObject({ name: "InvalidInstanceID.NotFound", $metadata: { httpStatusCode: 400 } });
    const f = ep.faults.throttle({ service: "ec2" });
    const throttled = await ec2().send(new DescribeInstancesCommand({})).catch((e: Record<string, unknown>) => e);
    f.remove();
    expect(throttled).toMatchObject({ name: "RequestLimitExceeded", message: "Request limit exceeded.", $metadata: { httpStatusCode: 503 } });
  });
});

describe("SSM over JSON 1.1", () => {
  it("GetParameter: a SecureString's value only with decryption; GetParameters lists the missing; ParameterNotFound", async () => {
    const plain = await ssm().send(new GetParameterCommand({ Name: "/pwb/db/password", WithDecryption: true }));
    expect(plain.Parameter).toMatchObject({ Name: "/pwb/db/password", Type: "SecureString", Value: "s3cret-Value-1", Version: 1, DataType: "text" });
    expect(plain.Parameter!.LastModifiedDate).toBeInstanceOf(Date);
    const sealed = await ssm().send(new GetParameterCommand({ Name: "/pwb/db/password" }));
    expect(sealed.Parameter!.Value).not.toContain("s3cret");
    const many = await ssm().send(new GetParametersCommand({ Names: ["/pwb/plain", "/pwb/nope"] }));
    expect([many.Parameters!.map((p) => p.Value), many.InvalidParameters]).toEqual([["hello"], ["/pwb/nope"]]);
    const err = await ssm().send(new GetParameterCommand({ Name: "/pwb/nope" })).catch((e: Record<string, unknown>) => e);
    expect(err).toMatchObject({ name: "ParameterNotFound", $metadata: { httpStatusCode: 400 } });
    const f = ep.faults.throttle({ service: "ssm" });
    const t = await ssm().send(new GetParameterCommand({ Name: "/pwb/plain" })).catch((e: Record<string, unknown>) => e);
    f.remove();
    expect(t).toMatchObject({ name: "ThrottlingException" });
  });

  it("Run Command: SendCommand by tag targets, then the invocations and their output", async () => {
    ep.model.ssm.onCommand = (_cmd, id) => ({ status: "Success", responseCode: 0, stdout: `ok on ${id}\n`, stderr: "" });
    const sent = await ssm().send(new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      Targets: [{ Key: "tag:parallelcluster:node-type", Values: ["LoginNode"] }, { Key: "tag:parallelcluster:cluster-name", Values: ["pwb-demo"] }],
      Parameters: { commands: ["pwb-agent doctor --json"] },
    }));
    const id = sent.Command!.CommandId!;
    // As AWS: SendCommand answers before any instance ran it.
    expect(sent.Command).toMatchObject({ DocumentName: "AWS-RunShellScript", Status: "Pending", CompletedCount: 0, TargetCount: 2, Parameters: { commands: ["pwb-agent doctor --json"] } });
    const list = await ssm().send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }));
    expect(list.CommandInvocations!.map((i) => i.InstanceId).sort()).toEqual([...c.pools[0]!.instances].sort());
    expect(list.CommandInvocations![0]!.CommandPlugins![0]!.Status).toBe("Success");
    const inv = await ssm().send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: c.pools[0]!.instances[0]! }));
    expect(inv).toMatchObject({ Status: "Success", ResponseCode: 0, StandardOutputContent: `ok on ${c.pools[0]!.instances[0]}\n` });
    const missing = await ssm().send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: "i-0abc0000000000404" })).catch((e: Error) => e.name);
    expect(missing).toBe("InvocationDoesNotExist");
  });
});

describe("IMDSv2 on the same port", () => {
  it("token PUT, then GETs with the token; 401 without; the SDK's //latest paths work", async () => {
    const put = await fetch(`${ep.url}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    const token = await put.text();
    expect(put.status).toBe(200);
    const get = (p: string, h: Record<string, string> = { "x-aws-ec2-metadata-token": token }) => fetch(`${ep.url}${p}`, { headers: h });
    expect(await (await get("//latest/meta-data/placement/region")).text()).toBe("eu-west-1");
    expect((await get("/latest/meta-data/instance-id", {})).status).toBe(401);
    const doc = await (await get("/latest/dynamic/instance-identity/document")).json();
    expect(doc).toMatchObject({ region: "eu-west-1", instanceId: ep.model.imds.instanceId, accountId: "123456789012" });
    const role = await (await get("/latest/meta-data/iam/security-credentials/")).text();
    expect(JSON.parse(await (await get(`/latest/meta-data/iam/security-credentials/${role}`)).text())).toMatchObject({ Code: "Success", AccessKeyId: expect.any(String) });
  });
});

describe("the AWS CLI against the endpoint", () => {
  function awsCli(args: string[]) {
    if (spawnSync("sh", ["-c", "command -v aws"]).status !== 0) throw new Error("the AWS CLI is missing: install with  sudo apt-get install awscli");
    return execFileP("aws", ["--endpoint-url", ep.url, "--region", "eu-west-1", "--output", "json", ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_PAGER: "" },
      timeout: 30_000,
    });
  }

  it("parses describe-target-health, describe-load-balancers (following markers), describe-instances --filters, ssm get-parameter --with-decryption", async () => {
    const paging = ep.faults.pageSize(1, { action: "DescribeLoadBalancers" });
    const [health, lbs, instances, param, missing] = await Promise.all([
      awsCli(["elbv2", "describe-target-health", "--target-group-arn", c.pools[0]!.targetGroup.arn]),
      awsCli(["elbv2", "describe-load-balancers"]),
      awsCli(["ec2", "describe-instances", "--filters", "Name=tag:parallelcluster:node-type,Values=LoginNode", "Name=instance-state-name,Values=running"]),
      awsCli(["ssm", "get-parameter", "--name", "/pwb/db/password", "--with-decryption"]),
      awsCli(["elbv2", "describe-target-groups", "--names", "no-such-group"]).catch((e: { code: number; stderr: string }) => e),
    ]);
    paging.remove();
    expect(JSON.parse(health.stdout).TargetHealthDescriptions.map((d: { Target: { Id: string }; TargetHealth: { State: string } }) => [d.Target.Id, d.TargetHealth.State])).toEqual(
      c.pools[0]!.instances.map((i) => [i, "healthy"]),
    );
    expect(JSON.parse(lbs.stdout).LoadBalancers.map((l: { LoadBalancerName: string }) => l.LoadBalancerName)).toEqual([...ep.model.loadBalancers.values()].map((l) => l.name));
    const found = JSON.parse(instances.stdout).Reservations.flatMap((r: { Instances: Array<{ InstanceId: string; State: { Name: string } }> }) => r.Instances);
    expect(found.map((i: { InstanceId: string }) => i.InstanceId).sort()).toEqual([...c.pools[0]!.instances].sort());
    expect(JSON.parse(param.stdout).Parameter).toMatchObject({ Name: "/pwb/db/password", Type: "SecureString", Value: "s3cret-Value-1", Version: 1 });
    // AWS CLI v1 exits 255 on a service error, v2 (Debian's awscli) 254.
    expect(missing).toMatchObject({ stderr: expect.stringContaining("An error occurred (TargetGroupNotFound) when calling the DescribeTargetGroups operation") });
    expect([254, 255]).toContain((missing as { code: number }).code);
  });
});

describe("standalone", () => {
  it("npm run aws-endpoint -- --port 0 --scenario login-cluster prints its URL and serves until stopped", async () => {
    const child = spawn(process.execPath, [path.resolve("test/aws-endpoint/run.mjs"), "--port", "0", "--scenario", "login-cluster"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const line = out.split("\n")[0];
          if (out.includes("\n") && line) resolve(line);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new ElasticLoadBalancingV2Client({ region: "eu-west-1", endpoint: url, credentials: TEST_CREDENTIALS });
      const out = await client.send(new DescribeLoadBalancersCommand({}));
      expect(out.LoadBalancers!.map((l) => l.Type)).toEqual(["network"]);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
  });
});

describe("SigV4 at the front door", () => {
  it("unsigned requests are refused as each service refuses them; IMDS needs no signature", async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(ep.url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
    const elb = await post("Action=DescribeLoadBalancers&Version=2015-12-01");
    expect([elb.status, await elb.text()]).toEqual([403, expect.stringContaining("<Code>MissingAuthenticationToken</Code>")]);
    const e2 = await post("Action=DescribeInstances&Version=2016-11-15");
    expect([e2.status, await e2.text()]).toEqual([401, expect.stringContaining("<Code>AuthFailure</Code>")]);
    const s = await fetch(ep.url, { method: "POST", headers: { "x-amz-target": "AmazonSSM.GetParameter", "content-type": "application/x-amz-json-1.1" }, body: "{}" });
    expect([s.status, ((await s.json()) as { __type: string }).__type]).toEqual([400, "MissingAuthenticationTokenException"]);
    const token = await fetch(`${ep.url}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" } });
    expect(token.status).toBe(200);
  });

  it("a client configured for another region, or signing for another service, is refused; nothing runs", async () => {
    const wrongRegion = new ElasticLoadBalancingV2Client({ ...config(), region: "us-west-2" });
    const err = await wrongRegion.send(new DescribeTargetHealthCommand({ TargetGroupArn: c.workbench!.arn })).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "SignatureDoesNotMatch", message: expect.stringContaining("Credential should be scoped to a valid region") });
    const scope = `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/20260101/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=00`;
    const before = ep.model.targetsOf(c.workbench!.arn).length;
    const r = await fetch(ep.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: scope },
      body: `Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=${encodeURIComponent(c.workbench!.arn)}&Targets.member.1.Id=${c.pools[0]!.instances[0]}`,
    });
    expect([r.status, await r.text()]).toEqual([403, expect.stringContaining("Credential should be scoped to correct service: &apos;elasticloadbalancing&apos;")]);
    expect(ep.model.targetsOf(c.workbench!.arn)).toHaveLength(before);
  });
});
