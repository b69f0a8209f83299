import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { silentLogger } from "../../agent/log.js";
import { getSecureParameter } from "../../agent/secrets/ssm.js";
import { startAwsEndpoint } from "../aws-endpoint/index.js";
import { snapshot } from "../helpers/engine.js";
import { requireBuilt, type CliResult } from "../helpers/cli.js";
import { simCluster, simSiteYaml } from "../helpers/workbench.js";

/*
 * The database password from SSM Parameter Store over the wire: the real @aws-sdk/client-ssm
 * (GetParameter, WithDecryption) against the loopback endpoint that speaks SSM's JSON protocol.
 */

const NAME = "/pwb/database/password";
const PASSWORD = "SSM-Stored-DB-Passw0rd-e41";

let ep: Awaited<ReturnType<typeof startAwsEndpoint>>;
let env: NodeJS.ProcessEnv;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  ep = await startAwsEndpoint();
  ep.model.ssm.putParameter({ Name: NAME, Value: PASSWORD, Type: "SecureString" });
  env = {
    AWS_ENDPOINT_URL: ep.url,
    AWS_ACCESS_KEY_ID: "AKIDPWBAGENTTEST",
    AWS_SECRET_ACCESS_KEY: "pwb-agent-test-secret",
    AWS_REGION: "eu-west-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await ep?.close();
});

/** The built CLI in a child process, without blocking this process: the endpoint answers from here. */
function cli(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [requireBuilt("dist/pwb-agent.cjs"), ...args], { env: { ...process.env, ...extraEnv } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b));
    child.stderr.on("data", (b: Buffer) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const ssmSite = (name = NAME) => simSiteYaml().replace("password: { file: /etc/pwb-agent/database-password }", `password: { ssm: ${name} }`);
const ssmCalls = () => ep.calls.filter((c) => c.service === "ssm");

describe("SSM Parameter Store over the wire", () => {
  it("GetParameter WithDecryption returns the SecureString's value", async () => {
    const before = ssmCalls().length;
    const value = await getSecureParameter(NAME, { region: "eu-west-1", log: silentLogger(), field: "database.password.ssm" });
    expect(value).toBe(PASSWORD);
    const call = ssmCalls()[before]!;
    expect(call).toMatchObject({ action: "GetParameter", status: 200, params: { Name: NAME, WithDecryption: true } });
  });

  it("a missing parameter is bad input that names the field and the parameter", async () => {
    const err = await getSecureParameter("/pwb/nope", { region: "eu-west-1", log: silentLogger(), field: "database.password.ssm" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toBe(
      "database.password.ssm: SSM parameter /pwb/nope in eu-west-1 does not exist (ParameterNotFound): create it as a SecureString, or fix database.password.ssm in the site config. Nothing was changed.",
    );
  });

  it("access denied says which permissions the node's role needs", async () => {
    const fault = ep.faults.error("AccessDeniedException", "not allowed", { service: "ssm", action: "GetParameter" });
    try {
      const err = await getSecureParameter(NAME, { region: "eu-west-1", log: silentLogger(), field: "database.password.ssm" }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(RuntimeFailure);
      expect((err as Error).message).toContain("needs ssm:GetParameter on it (and kms:Decrypt on its key)");
    } finally {
      fault.remove();
    }
  });

  it("pwb-agent apply on a head node writes the password from SSM into database.conf, and prints it nowhere", async () => {
    const c = await simCluster(ssmSite());
    const r = await cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "-v", "apply"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(path.join(c.head, "opt/rstudio/etc/rstudio/database.conf"), "utf8")).toContain(`password=${PASSWORD}\n`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).toContain('"msg":"secret read from SSM Parameter Store"');
  });

  it("a missing parameter stops apply with exit 2 and a clear message; nothing is written", async () => {
    const c = await simCluster(ssmSite("/pwb/not-created"));
    // Everything but /run (where the apply lock comes and goes).
    const state = async () => [await snapshot(c.shared), await snapshot(path.join(c.head, "etc")), await snapshot(path.join(c.head, "usr"))];
    const before = await state();
    const r = await cli(["--root", c.head, "--no-imds", "--site", c.siteFile, "apply"], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pwb-agent: error: database.password.ssm: SSM parameter /pwb/not-created in eu-west-1 does not exist (ParameterNotFound)");
    expect(await state()).toEqual(before);
  });
});
