// IMDSv2 on the same port: PUT /latest/api/token, then GETs carrying the token.
import { randomBytes } from "node:crypto";
import type { AwsModel } from "./model.js";

export interface ImdsAnswer {
  status: number;
  body: string;
  type: string;
}

const tokens = new WeakMap<AwsModel, Map<string, number>>();

const text = (status: number, body: string, type = "text/plain"): ImdsAnswer => ({ status, body, type });

/** Static, obviously fake credentials for the instance role, so the SDK's default chain works off IMDS. */
function roleCredentials(): string {
  const now = new Date();
  return JSON.stringify({
    Code: "Success",
    LastUpdated: now.toISOString(),
    Type: "AWS-HMAC",
    AccessKeyId: "ASIAPWBENDPOINTTEST1",
    SecretAccessKey: "pwb-endpoint-not-a-real-secret-key-000000",
    Token: "pwb-endpoint-session-token",
    Expiration: new Date(now.getTime() + 6 * 3600_000).toISOString(),
  });
}

export function answerImds(model: AwsModel, method: string, path: string, headers: Record<string, string | string[] | undefined>): ImdsAnswer {
  let live = tokens.get(model);
  if (!live) tokens.set(model, (live = new Map()));
  if (path === "/latest/api/token") {
    if (method !== "PUT") return text(405, "Method Not Allowed");
    const ttl = Number(headers["x-aws-ec2-metadata-token-ttl-seconds"]);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, "Bad Request");
    const token = randomBytes(24).toString("base64url");
    live.set(token, Date.now() + ttl * 1000);
    return text(200, token);
  }
  if (method !== "GET") return text(405, "Method Not Allowed");
  const token = headers["x-aws-ec2-metadata-token"];
  const expiry = typeof token === "string" ? live.get(token) : undefined;
  if (expiry === undefined || expiry < Date.now()) return text(401, "Unauthorized");
  const m = model.imds;
  const meta: Record<string, string> = {
    "/latest/meta-data/instance-id": m.instanceId,
    "/latest/meta-data/instance-type": m.instanceType,
    "/latest/meta-data/placement/region": model.region,
    "/latest/meta-data/placement/availability-zone": m.availabilityZone,
    "/latest/meta-data/local-ipv4": m.localIpv4,
    "/latest/meta-data/iam/security-credentials/": m.roleName,
    [`/latest/meta-data/iam/security-credentials/${m.roleName}`]: roleCredentials(),
  };
  if (path === "/latest/meta-data/autoscaling/target-lifecycle-state" && m.targetLifecycleState !== null) return text(200, m.targetLifecycleState);
  if (path === "/latest/dynamic/instance-identity/document") {
    return text(200, JSON.stringify({
      accountId: model.account, architecture: "x86_64", availabilityZone: m.availabilityZone, imageId: "ami-0abc0000000000001",
      instanceId: m.instanceId, instanceType: m.instanceType, privateIp: m.localIpv4, region: model.region,
    }, null, 2), "application/json");
  }
  const value = meta[path];
  return value === undefined ? text(404, "Not Found") : text(200, value);
}
