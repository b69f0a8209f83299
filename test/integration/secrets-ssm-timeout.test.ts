import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeFailure } from "../../agent/errors.js";
import { silentLogger } from "../../agent/log.js";
import { getSecureParameter } from "../../agent/secrets/ssm.js";
import { startAwsEndpoint } from "../aws-endpoint/index.js";

/*
 * An SSM endpoint that never answers: the client's request timeout ends the read (about 15 s: three
 * attempts of 5 s), so this file is kept out of the mutation run's test list.
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

describe("SSM timeout", () => {
  it("an SSM that never answers is given up on (request timeout), not waited on for ever", async () => {
    const hang = ep.faults.hang({ service: "ssm", action: "GetParameter" });
    try {
      const e = await getSecureParameter("/pwb/secure", opts({ region: REGION() })).catch((x: Error) => x);
      expect(e).toBeInstanceOf(RuntimeFailure);
      expect((e as Error).message).toMatch(/^database\.password\.ssm: SSM parameter \/pwb\/secure in [a-z0-9-]+: could not read it \(/);
    } finally {
      hang.remove();
    }
  }, 60_000);
});
