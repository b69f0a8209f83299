// Reading AWS SDK errors: their code, whether they mean "throttled" or "no such thing".

interface SdkErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: { throttling?: boolean };
}

/** The service's error code: awsQuery errors keep it in `Code`; others in `name`. */
export function errorCode(e: unknown): string {
  const err = e as SdkErrorShape;
  return err?.Code ?? err?.name ?? "Error";
}

const THROTTLE_CODES = new Set([
  "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
  "RequestLimitExceeded", "RequestThrottled", "SlowDown", "EC2ThrottledException",
]);

export function isThrottle(e: unknown): boolean {
  const err = e as SdkErrorShape;
  return THROTTLE_CODES.has(errorCode(e)) || err?.$metadata?.httpStatusCode === 429 || err?.$retryable?.throttling === true;
}

/** True for `code` itself or the SDK's exception class for it (`TargetGroupNotFound` / `TargetGroupNotFoundException`). */
export function hasCode(e: unknown, code: string): boolean {
  const err = e as SdkErrorShape;
  return err?.Code === code || err?.name === code || err?.name === `${code}Exception`;
}

export function isAbort(e: unknown): boolean {
  return (e as SdkErrorShape)?.name === "AbortError";
}

/** One line for logs and reports: code, message, attempts. */
export function describeError(e: unknown): string {
  const err = e as SdkErrorShape;
  if (isAbort(e)) return "deadline exceeded: gave up waiting for AWS";
  const attempts = err?.$metadata?.attempts;
  const msg = err?.message && err.message !== errorCode(e) ? `: ${err.message}` : "";
  return `${errorCode(e)}${msg}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ""}`;
}

/** An answer AWS cannot have given complete: a list cut short, an id left out without an error. */
export class IncompleteAnswer extends Error {
  override readonly name = "IncompleteAnswer";
}
