// AWS SDK clients for the ALB commands. The SDK is loaded with import() on first use, so the
// commands that need no AWS (detect, plan, apply, …) never pay for loading it.
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EC2Client } from "@aws-sdk/client-ec2";
import { isThrottle } from "./errors.js";

export interface AwsClientOptions {
  region: string;
  /**
   * Endpoint override. Unset, the SDK resolves the endpoint itself and honours the standard
   * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 / AWS_ENDPOINT_URL_EC2 variables.
   */
  endpoint?: string;
  /** Static credentials; unset, the SDK's default chain (environment, then the instance role via IMDS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per call, retries included (standard retry mode: exponential backoff with full jitter). Default 3. */
  maxAttempts?: number;
  /** Per attempt: the whole HTTP exchange, and the TCP connect. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** What one run asked of AWS: every HTTP attempt counts (that is what AWS throttles on). */
export class ApiCallStats {
  attempts = 0;
  /** Calls that failed after their last attempt. */
  errors = 0;
  /** Attempts answered with a throttling error. */
  throttled = 0;
  readonly byOperation = new Map<string, number>();
}

// The SDK does this at module load on Node < 22 (to stderr, once per process); the agent's own
// Node is 24, and under the system Node 20 the warning is noise in every timer tick.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

function clientConfig(o: AwsClientOptions) {
  return {
    region: o.region,
    retryMode: "standard",
    // Unset: the SDK's own resolution (AWS_MAX_ATTEMPTS, the config file, else 3).
    ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
    // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes, and a hung call
    // would wait for the tick's deadline.
    requestHandler: { requestTimeout: o.requestTimeoutMs ?? 5_000, throwOnRequestTimeout: true, connectionTimeout: o.connectTimeoutMs ?? 2_000 },
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
}

interface Instrumentable {
  middlewareStack: ElasticLoadBalancingV2Client["middlewareStack"] | EC2Client["middlewareStack"];
}

/** Counts attempts (inside the retry loop) and final failures (outside it). */
function instrument(client: Instrumentable, stats: ApiCallStats): void {
  const stack = client.middlewareStack as ElasticLoadBalancingV2Client["middlewareStack"];
  stack.add(
    (next, context) => async (args) => {
      stats.attempts += 1;
      const op = String(context.commandName ?? "unknown").replace(/Command$/, "");
      stats.byOperation.set(op, (stats.byOperation.get(op) ?? 0) + 1);
      try {
        return await next(args);
      } catch (e) {
        if (isThrottle(e)) stats.throttled += 1;
        throw e;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "pwbAttemptStats" },
  );
  stack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        stats.errors += 1;
        throw e;
      }
    },
    { step: "initialize", name: "pwbCallStats" },
  );
}

export async function loadElbv2(o: AwsClientOptions, stats: ApiCallStats) {
  const sdk = await import("@aws-sdk/client-elastic-load-balancing-v2");
  const client = new sdk.ElasticLoadBalancingV2Client(clientConfig(o));
  instrument(client, stats);
  return { sdk, client };
}

/** Route 53 is global: signed for us-east-1 whatever the cluster's region (the aws partition). */
export async function loadRoute53(o: AwsClientOptions, stats: ApiCallStats) {
  const sdk = await import("@aws-sdk/client-route-53");
  const client = new sdk.Route53Client(clientConfig({ ...o, region: "us-east-1" }));
  instrument(client as unknown as Instrumentable, stats);
  return { sdk, client };
}

export async function loadEc2(o: AwsClientOptions, stats: ApiCallStats) {
  const sdk = await import("@aws-sdk/client-ec2");
  const client = new sdk.EC2Client(clientConfig(o));
  instrument(client, stats);
  return { sdk, client };
}

/** What the ALB adapters share: the loaded SDK module, its client, and the run's deadline. */
export abstract class SdkAdapter<Sdk, Client extends { send(command: never, options: object): Promise<unknown>; destroy(): void }> {
  protected constructor(
    protected readonly sdk: Sdk,
    protected readonly client: Client,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** One call, cancelled with the run's deadline. Commands are typed where they are built. */
  protected send<T = unknown>(command: object): Promise<T> {
    return this.client.send(command as never, this.signal ? { abortSignal: this.signal } : {}) as unknown as Promise<T>;
  }

  close(): void {
    this.client.destroy();
  }
}
