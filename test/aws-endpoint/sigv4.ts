// The front door of every AWS API: a request must carry a SigV4 signature (header or presigned query)
// scoped to this endpoint's region and to the service it calls, or it is refused the way that
// service refuses it. The signature itself is not recomputed: scope and presence are what a
// misconfigured client (wrong region, wrong endpoint, no credentials) gets wrong.
import type { IncomingMessage } from "node:http";
import { AwsApiError } from "./errors.js";
import type { Service } from "./faults.js";

/** The signing name of each API, as in the credential scope. */
const SIGNING_NAME: Partial<Record<Service, string>> = { elbv2: "elasticloadbalancing", ec2: "ec2", ssm: "ssm", s3: "s3", route53: "route53" };
/** Route 53 is global: its requests are signed for us-east-1 whatever the caller's region. */
const GLOBAL_REGION: Partial<Record<Service, string>> = { route53: "us-east-1" };

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/** Why AWS would refuse this request before looking at it, or null. */
export function signatureProblem(req: IncomingMessage, service: Service, region: string): AwsApiError | null {
  const name = SIGNING_NAME[service];
  if (!name) return null; // IMDS: no signature
  const auth = typeof req.headers.authorization === "string" ? req.headers.authorization : "";
  const query = new URL(req.url ?? "/", "http://endpoint").searchParams.get("X-Amz-Credential");
  const scope = CREDENTIAL.exec(auth) ?? (query ? CREDENTIAL.exec(`Credential=${query}`) : null);
  if (!scope) {
    switch (service) {
      case "ssm":
        return new AwsApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
      case "ec2":
        return new AwsApiError("AuthFailure", "AWS was not able to validate the provided access credentials", 401);
      case "s3":
        return new AwsApiError("AccessDenied", "Access Denied", 403);
      default:
        return new AwsApiError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    }
  }
  const [, , , scopeRegion, scopeService] = scope;
  if (scopeRegion !== (GLOBAL_REGION[service] ?? region)) {
    if (service === "s3") {
      // Signed for us-east-1 is what reaches S3's global endpoint: it answers with a redirect naming the region.
      if (scopeRegion === "us-east-1") {
        return new AwsApiError("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", 301);
      }
      return new AwsApiError("AuthorizationHeaderMalformed", `The authorization header is malformed; the region '${scopeRegion}' is wrong; expecting '${region}'`, 400);
    }
    return scopeError(service, "Credential should be scoped to a valid region. ");
  }
  if (scopeService !== name) return scopeError(service, `Credential should be scoped to correct service: '${name}'. `);
  return null;
}

function scopeError(service: Service, message: string): AwsApiError {
  if (service === "ssm") return new AwsApiError("InvalidSignatureException", message, 400);
  if (service === "ec2") return new AwsApiError("AuthFailure", message, 401);
  return new AwsApiError("SignatureDoesNotMatch", message, 403);
}
