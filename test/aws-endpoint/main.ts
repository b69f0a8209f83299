// Standalone: `npm run aws-endpoint -- [--port N] [--scenario NAME] [--latency MS]` prints the URL
// and serves until interrupted, so any AWS client can be pointed at it.
import { parseArgs } from "node:util";
import { SCENARIOS, startAwsEndpoint } from "./index.js";

const USAGE = "usage: npm run aws-endpoint -- [--port N] [--scenario NAME] [--latency MS] [--region R]";

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string", default: "0" },
        scenario: { type: "string", default: "empty" },
        latency: { type: "string", default: "0" },
        region: { type: "string", default: "eu-west-1" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    const list = Object.entries(SCENARIOS).map(([k, v]) => `  ${k.padEnd(14)} ${v.describe}`).join("\n");
    process.stdout.write(`${USAGE}\n\nscenarios:\n${list}\n`);
    return;
  }
  const port = Number(values.port);
  const latencyMs = Number(values.latency);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(latencyMs) || latencyMs < 0) {
    process.stderr.write(`--port must be 0–65535 and --latency ≥ 0\n${USAGE}\n`);
    process.exit(2);
  }
  if (!SCENARIOS[values.scenario]) {
    process.stderr.write(`unknown scenario "${values.scenario}"; have: ${Object.keys(SCENARIOS).join(", ")}\n`);
    process.exit(2);
  }
  const ep = await startAwsEndpoint({ port, scenario: values.scenario, latencyMs, region: values.region });
  process.stdout.write(`${ep.url}\n`);
  process.stderr.write(
    `aws-endpoint: scenario ${values.scenario}, region ${values.region}; try:\n` +
      `  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url ${ep.url} --region ${values.region} elbv2 describe-load-balancers\n`,
  );
  const stop = () => void ep.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
