import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError, RuntimeFailure } from "../../agent/errors.js";
import { createLogger, silentLogger } from "../../agent/log.js";
import { Root } from "../../agent/nodefs/root.js";
import { resolveSecret } from "../../agent/secrets/resolve.js";
import { getSecureParameter } from "../../agent/secrets/ssm.js";
import { startAwsEndpoint } from "../aws-endpoint/index.js";

/*
 * SSM Parameter Store's edges in process (the real @aws-sdk/client-ssm against the loopback endpoint):
 * the region each reference is read in, a String parameter, a value too short, and every kind of
 * refusal named as such.
 */

let ep: Awaited<ReturnType<typeof startAwsEndpoint>>;
const ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED"];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  ep = await startAwsEndpoint();
  ep.model.ssm.putParameter({ Name: "/pwb/secure", Value: "Edge-Secure-Passw0rd", Type: "SecureString" });
  ep.model.ssm.putParameter({ Name: "/pwb/plain", Value: "Edge-Plain-Passw0rd", Type: "String" });
  ep.model.ssm.putParameter({ Name: "/pwb/short", Value: "short", Type: "SecureString" });
  for (const k of ENV) saved[k] = process.env[k];
  Object.assign(process.env, { AWS_ENDPOINT_URL: ep.url, AWS_ACCESS_KEY_ID: "AKIDPWBAGENTTEST", AWS_SECRET_ACCESS_KEY: "pwb-agent-test-secret", AWS_EC2_METADATA_DISABLED: "true" });
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
});
afterAll(async () => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await ep?.close();
});

const opts = (extra = {}) => ({ region: "eu-west-1", log: silentLogger(), field: "database.password.ssm", ...extra });
const REGION = () => ep.model.region;

describe("SSM edges", () => {

  it("reads in the node's region first, then AWS_REGION, then AWS_DEFAULT_REGION", async () => {
    const root = new Root("/nonexistent-root");
    const read = (region: string | null) => resolveSecret({ ssm: "/pwb/secure" }, { root, region, field: "database.password", log: silentLogger() });
    const wrong = REGION() === "us-east-2" ? "us-west-2" : "us-east-2";
    try {
      process.env.AWS_REGION = wrong;
      process.env.AWS_DEFAULT_REGION = wrong;
      expect(await read(REGION())).toBe("Edge-Secure-Passw0rd");
      process.env.AWS_REGION = REGION();
      expect(await read(null)).toBe("Edge-Secure-Passw0rd");
      delete process.env.AWS_REGION;
      process.env.AWS_DEFAULT_REGION = REGION();
      expect(await read(null)).toBe("Edge-Secure-Passw0rd");
      // And the wrong region is really refused: the order above is what made them pass.
      await expect(read(wrong)).rejects.toThrow(RuntimeFailure);
      await expect(resolveSecret({ ssm: "/pwb/absent" }, { root, region: REGION(), field: "database.password", log: silentLogger() })).rejects.toThrow(
        `database.password.ssm: SSM parameter /pwb/absent in ${REGION()} does not exist (ParameterNotFound)`,
      );
    } finally {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
    }
  });

  it("a String parameter is used, with a warning to store it encrypted; the read is logged without the value", async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
    expect(await getSecureParameter("/pwb/plain", opts({ region: REGION(), log }))).toBe("Edge-Plain-Passw0rd");
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.find((r) => r.severity === "warn")).toMatchObject({ parameter: "/pwb/plain", type: "String", msg: "database.password.ssm: SSM parameter /pwb/plain is a String, not a SecureString: store the password encrypted" });
    const info = recs.find((r) => r.msg === "secret read from SSM Parameter Store")!;
    expect(info).toMatchObject({ parameter: "/pwb/plain", severity: "info" });
    expect(info.ms).toEqual(expect.any(Number));
    expect(info.ms as number).toBeLessThan(60_000);
    expect(lines.join("")).not.toContain("Edge-Plain-Passw0rd");
    const quiet: string[] = [];
    await getSecureParameter("/pwb/secure", opts({ region: REGION(), log: createLogger({ sink: (l) => quiet.push(l) }) }));
    expect(quiet.map((l) => JSON.parse(l).severity)).toEqual(["info"]);
  });

  it("a value too short is bad input naming field and parameter, not the value", async () => {
    const e = await getSecureParameter("/pwb/short", opts({ region: REGION() })).catch((x: Error) => x);
    expect(e).toBeInstanceOf(BadInputError);
    expect((e as Error).message).toBe("database.password.ssm (SSM parameter /pwb/short): the secret is shorter than 8 characters");
  });

  it("ParameterVersionNotFound is bad input; any other error says what AWS answered", async () => {
    const r = REGION();
    const v = ep.faults.error("ParameterVersionNotFound", "no such version", { service: "ssm", action: "GetParameter" });
    try {
      const e = await getSecureParameter("/pwb/secure", opts({ region: r })).catch((x: Error) => x);
      expect(e).toBeInstanceOf(BadInputError);
      expect((e as Error).message).toBe(`database.password.ssm: SSM parameter /pwb/secure in ${r}: that version does not exist (ParameterVersionNotFound). Nothing was changed.`);
    } finally {
      v.remove();
    }
    const other = ep.faults.error("InvalidKeyId", "key disabled", { service: "ssm", action: "GetParameter" });
    try {
      const e = await getSecureParameter("/pwb/secure", opts({ region: r })).catch((x: Error) => x);
      expect(e).toBeInstanceOf(RuntimeFailure);
      expect((e as Error).message).toBe(`database.password.ssm: SSM parameter /pwb/secure in ${r}: could not read it (InvalidKeyId: key disabled). Nothing was changed.`);
    } finally {
      other.remove();
    }
  });
});
