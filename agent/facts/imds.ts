import type { Logger } from "../log.js";

export const DEFAULT_IMDS_ENDPOINT = "http://169.254.169.254";
export const DEFAULT_IMDS_BUDGET_MS = 1000;
const TOKEN_PATH = "/latest/api/token";
const IDENTITY_PATH = "/latest/dynamic/instance-identity/document";
const TOKEN_TTL_S = 21600;
/** Renew a cached token this long before IMDS would expire it. */
const TOKEN_MARGIN_MS = 60_000;

export interface ImdsSettings {
  enabled: boolean;
  /** Base URL without a trailing slash. */
  endpoint: string;
  budgetMs: number;
}

export interface InstanceIdentity {
  instanceId: string | null;
  instanceType: string | null;
  region: string | null;
  availabilityZone: string | null;
}

/** IMDSv2 session tokens by endpoint, for the life of the process: one PUT, however many reads. */
const tokens = new Map<string, { value: string; expiresAt: number }>();

/** Forgets cached tokens (tests; a process never needs it). */
export function clearImdsTokenCache(): void {
  tokens.clear();
}

/** Options win over the AWS SDK's environment variables, which win over the defaults. */
export function imdsSettings(
  o: { enabled: boolean; endpoint?: string; budgetMs?: number },
  env: NodeJS.ProcessEnv = process.env,
): ImdsSettings {
  const disabledByEnv = (env.AWS_EC2_METADATA_DISABLED ?? "").trim().toLowerCase() === "true";
  const endpoint = o.endpoint || env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_IMDS_ENDPOINT;
  return {
    enabled: o.enabled && !disabledByEnv,
    endpoint: endpoint.replace(/\/+$/, ""),
    budgetMs: o.budgetMs ?? DEFAULT_IMDS_BUDGET_MS,
  };
}

/**
 * The instance identity document over IMDSv2, by hand with fetch: the AWS SDK's client has no
 * timeout by default, asks for a new token on every read and falls back to IMDSv1. The whole
 * exchange (token included) is bounded by `budgetMs`; any failure (off EC2, firewalled, slow,
 * 404, garbage) gives null and a debug line, never a throw.
 */
export async function fetchInstanceIdentity(s: ImdsSettings, log: Logger): Promise<InstanceIdentity | null> {
  if (!s.enabled) {
    log.debug("IMDS disabled; instance identity from node files only");
    return null;
  }
  const started = Date.now();
  try {
    if (!/^https?:$/.test(new URL(s.endpoint).protocol)) throw new Error("endpoint is not an http(s) URL");
    const signal = AbortSignal.timeout(s.budgetMs);
    const cached = tokens.has(s.endpoint);
    let res = await getIdentity(s.endpoint, await token(s.endpoint, signal), signal);
    if (res.status === 401 && cached) {
      // The cached token expired or IMDS restarted: one fresh token, once.
      await discard(res);
      tokens.delete(s.endpoint);
      res = await getIdentity(s.endpoint, await token(s.endpoint, signal), signal);
    }
    if (!res.ok) {
      await discard(res);
      throw new Error(`identity document: HTTP ${res.status}`);
    }
    const doc: unknown = JSON.parse(await res.text());
    if (typeof doc !== "object" || doc === null) throw new Error("identity document is not a JSON object");
    const d = doc as Record<string, unknown>;
    const identity: InstanceIdentity = {
      instanceId: str(d.instanceId),
      instanceType: str(d.instanceType),
      region: str(d.region),
      availabilityZone: str(d.availabilityZone),
    };
    log.debug({ endpoint: s.endpoint, ms: Date.now() - started, instanceId: identity.instanceId }, "IMDS identity read");
    return identity;
  } catch (e) {
    log.debug({ endpoint: s.endpoint, ms: Date.now() - started, reason: reason(e, s.budgetMs) }, "IMDS unavailable; instance identity left empty");
    return null;
  }
}

async function token(endpoint: string, signal: AbortSignal): Promise<string> {
  const hit = tokens.get(endpoint);
  if (hit && hit.expiresAt > Date.now()) return hit.value;
  const res = await fetch(endpoint + TOKEN_PATH, {
    method: "PUT",
    headers: { "x-aws-ec2-metadata-token-ttl-seconds": String(TOKEN_TTL_S) },
    signal,
  });
  if (!res.ok) {
    await discard(res);
    throw new Error(`token: HTTP ${res.status}`);
  }
  const value = (await res.text()).trim();
  if (value === "") throw new Error("token: empty answer");
  tokens.set(endpoint, { value, expiresAt: Date.now() + TOKEN_TTL_S * 1000 - TOKEN_MARGIN_MS });
  return value;
}

function getIdentity(endpoint: string, value: string, signal: AbortSignal): Promise<Response> {
  return fetch(endpoint + IDENTITY_PATH, { headers: { "x-aws-ec2-metadata-token": value }, signal });
}

/** Frees the connection of an answer whose body is not wanted. */
async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function reason(e: unknown, budgetMs: number): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return `no answer within ${budgetMs} ms`;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return e instanceof Error ? e.message : String(e);
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/**
 * One metadata path's text over IMDSv2 (the cached token), or null when IMDS says 404 (e.g.
 * `autoscaling/target-lifecycle-state` on an instance outside an Auto Scaling group). Throws when
 * IMDS cannot be reached or answers anything else, so a caller can tell "absent" from "unknown".
 */
export async function readMetadata(s: ImdsSettings, path: string): Promise<string | null> {
  if (!s.enabled) throw new Error("IMDS is disabled");
  const signal = AbortSignal.timeout(s.budgetMs);
  const get = async () => fetch(s.endpoint + path, { headers: { "x-aws-ec2-metadata-token": await token(s.endpoint, signal) }, signal });
  let res = await get();
  if (res.status === 401) {
    await discard(res);
    tokens.delete(s.endpoint);
    res = await get();
  }
  if (res.status === 404) {
    await discard(res);
    return null;
  }
  if (!res.ok) {
    await discard(res);
    throw new Error(`IMDS ${path}: HTTP ${res.status}`);
  }
  return (await res.text()).trim();
}
