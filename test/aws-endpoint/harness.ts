// Test harness for the ALB commands: an endpoint seeded with a login cluster, a simulated head node
// under a temp root, and `tick()` running one in-process alb-sync against both (real SDK clients).
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultAlbName } from "../../agent/alb/names.js";
import { runAlbSync, type AlbSyncOptions, type AlbSyncReport } from "../../agent/alb/sync/run.js";
import { Root } from "../../agent/nodefs/root.js";
import { createLogger, type Logger } from "../../agent/log.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { startAwsEndpoint, type AwsEndpoint, type AwsEndpointOptions } from "./index.js";
import { seedLoginCluster, type LoginCluster, type LoginClusterOptions } from "./scenarios.js";

export const TEST_CREDENTIALS = { accessKeyId: "AKIDPWBALBTEST", secretAccessKey: "pwb-alb-test-secret" };

/** Environment for a pwb-agent process talking to the endpoint through the SDK's own variables. */
export function awsEnv(ep: AwsEndpoint): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: ep.url,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}

export interface AlbHarness {
  ep: AwsEndpoint;
  cluster: LoginCluster;
  /** The simulated head node's directory (the --root). */
  dir: string;
  root: Root;
  log: Logger;
  /** Parsed log records of every tick so far. */
  logs: Array<Record<string, unknown>>;
  tick(extra?: Partial<AlbSyncOptions>): Promise<AlbSyncReport>;
  /** Instance ids in the Workbench target group (not draining). */
  albTargets(): string[];
  /** Calls that changed targets (RegisterTargets, DeregisterTargets). */
  mutations(): Array<{ action: string; ids: string[]; ports: string[] }>;
  close(): Promise<void>;
}

export async function albHarness(o: { endpoint?: AwsEndpointOptions; cluster?: LoginClusterOptions; sync?: Partial<AlbSyncOptions> } = {}): Promise<AlbHarness> {
  const ep = await startAwsEndpoint(o.endpoint);
  const cluster = seedLoginCluster(ep.model, o.cluster);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pwb-alb-"));
  await writeSimulatedNode(dir, { role: "head", clusterName: cluster.cluster, region: ep.model.region });
  const root = new Root(dir);
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: "debug", sink: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const base: AlbSyncOptions = {
    root,
    cluster: cluster.cluster,
    region: ep.model.region,
    log,
    targetGroupName: defaultAlbName(cluster.cluster),
    pools: cluster.pools.map((p) => p.name),
    // One attempt by default so fault tests stay fast; retry behaviour has its own tests.
    aws: { endpoint: ep.url, credentials: TEST_CREDENTIALS, maxAttempts: 1, requestTimeoutMs: 2_000 },
    lockTimeoutMs: 200,
    deadlineMs: 10_000,
    ...o.sync,
  };
  return {
    ep,
    cluster,
    dir,
    root,
    log,
    logs,
    tick: (extra = {}) => runAlbSync({ ...base, ...extra, aws: { ...base.aws, ...extra.aws } }),
    albTargets: () => {
      const arn = cluster.workbench?.arn;
      return arn ? ep.model.targetsOf(arn).filter((t) => t.state !== "draining").map((t) => t.id).sort() : [];
    },
    mutations: () =>
      ep.calls
        .filter((c) => (c.action === "RegisterTargets" || c.action === "DeregisterTargets") && c.status === 200)
        .map((c) => {
          const p = c.params as Record<string, string>;
          const ids = Object.keys(p).filter((k) => /^Targets\.member\.\d+\.Id$/.test(k)).map((k) => p[k]!);
          const ports = Object.keys(p).filter((k) => /^Targets\.member\.\d+\.Port$/.test(k)).map((k) => p[k]!);
          return { action: c.action, ids: ids.sort(), ports };
        }),
    close: async () => {
      await ep.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
