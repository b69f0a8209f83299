import { BadInputError, RuntimeFailure } from "../errors.js";
import type { Logger } from "../log.js";
import { registerSecret } from "../log.js";
import { checkSecretValue } from "./value.js";

export interface SsmOptions {
  region: string;
  /** Overrides the endpoint (tests); the SDK also honours AWS_ENDPOINT_URL(_SSM). */
  endpoint?: string;
  log: Logger;
  /** Which site field named the parameter, for messages. */
  field: string;
}

/**
 * Reads a SecureString from SSM Parameter Store (GetParameter, WithDecryption). The SDK is loaded here,
 * on first use, so commands that need no AWS never pay for it. The value is registered as a secret
 * before anything else touches it, so no log line or error can carry it.
 */
export async function getSecureParameter(name: string, o: SsmOptions): Promise<string> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    maxAttempts: 3,
    // Without throwOnRequestTimeout this SDK only logs a warning when requestTimeout passes.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  });
  const started = Date.now();
  try {
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    const value = out.Parameter?.Value;
    if (typeof value !== "string") throw new RuntimeFailure(`${o.field}: SSM returned no value for parameter ${name}`);
    registerSecret(value);
    if (out.Parameter?.Type !== "SecureString") {
      o.log.warn({ parameter: name, type: out.Parameter?.Type }, `${o.field}: SSM parameter ${name} is a ${out.Parameter?.Type}, not a SecureString: store the password encrypted`);
    }
    o.log.info({ parameter: name, ms: Date.now() - started }, "secret read from SSM Parameter Store");
    return checkSecretValue(value, `${o.field} (SSM parameter ${name})`);
  } catch (e) {
    throw ssmFailure(name, o, e);
  } finally {
    client.destroy();
  }
}

function ssmFailure(name: string, o: SsmOptions, e: unknown): Error {
  if (e instanceof BadInputError || e instanceof RuntimeFailure) return e;
  const err = e as { name?: string; message?: string };
  const what = `${o.field}: SSM parameter ${name} in ${o.region}`;
  switch (err.name) {
    case "ParameterNotFound":
      return new BadInputError(`${what} does not exist (ParameterNotFound): create it as a SecureString, or fix ${o.field} in the site config. Nothing was changed.`);
    case "ParameterVersionNotFound":
      return new BadInputError(`${what}: that version does not exist (ParameterVersionNotFound). Nothing was changed.`);
    case "AccessDeniedException":
      return new RuntimeFailure(`${what}: access denied: the node's IAM role needs ssm:GetParameter on it (and kms:Decrypt on its key). Nothing was changed.`);
    default:
      return new RuntimeFailure(`${what}: could not read it (${err.name ?? "Error"}: ${err.message ?? "no message"}). Nothing was changed.`);
  }
}
