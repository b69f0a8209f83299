import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { RuntimeFailure } from "../errors.js";
import { DEFAULT_DOCUMENT_NAME, FLEET_SUBCOMMANDS, type FleetSubcommand } from "../fleet/document.js";
import { fleetExitCode, fleetJson, progressLine, renderFleetTable } from "../fleet/report.js";
import { runFleet } from "../fleet/run.js";
import { createFleetSsm } from "../fleet/ssm-client.js";
import { decimalFlag, seconds } from "./flags.js";
import { globals } from "./globals.js";

/** SSM's own patterns for MaxConcurrency and MaxErrors: a count or a percentage. */
const rate = (what: string, zeroOk: boolean) => (value: string) => {
  const re = zeroOk ? /^(0|[1-9][0-9]*|[0-9]%|[1-9][0-9]%|100%)$/ : /^([1-9][0-9]*|[1-9]%|[1-9][0-9]%|100%)$/;
  if (!re.test(value)) throw new InvalidArgumentError(`expected ${what}: a number${zeroOk ? "" : " of at least 1"} or a percentage like 25%`);
  return value;
};

/** The document's executionTimeout pattern: 1 to 9999 seconds. */
const documentTimeout = decimalFlag({ min: 1, max: 9999, whole: true, unit: "seconds" });

interface FleetFlags {
  cluster: string;
  region?: string;
  document: string;
  timeout: number;
  wait?: number;
  maxConcurrency?: string;
  maxErrors?: string;
  pollInterval: number;
}

/**
 * `pwb-agent fleet <detect|plan|apply|doctor> --cluster NAME [--role R]`: the agent on every node of a
 * cluster (or one role) through SSM Run Command, a per-instance table (or --json), non-zero when any
 * instance failed. `--role` is the global flag, here meaning "only these nodes".
 */
export function addFleetCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("fleet")
    .description("run detect, plan, apply or doctor on a cluster's nodes through SSM (--role picks head, login or compute nodes)")
    .addArgument(new Argument("<subcommand>", "what to run on each node").choices(FLEET_SUBCOMMANDS))
    .requiredOption("--cluster <name>", "ParallelCluster cluster name (the parallelcluster:cluster-name tag)")
    .option("--region <region>", "AWS region (default: AWS_REGION or the AWS config)")
    .option("--document <name>", "SSM Command document created from packaging/ssm/pwb-agent-command.json", DEFAULT_DOCUMENT_NAME)
    .addOption(new Option("--timeout <seconds>", "how long the agent may run on each node").argParser(documentTimeout).default(600))
    .addOption(new Option("--wait <seconds>", "how long to wait for every node (default: --timeout + 120)").argParser(seconds))
    .addOption(new Option("--max-concurrency <n>", "nodes at once, a number or a percentage (default: 25% for apply, else 100%)").argParser(rate("--max-concurrency", false)))
    .addOption(new Option("--max-errors <n>", "failures before SSM stops sending (default: 0 for apply, else 100%)").argParser(rate("--max-errors", true)))
    .addOption(new Option("--poll-interval <seconds>", "between progress checks").argParser(seconds).default(2))
    .action(async (subcommand: FleetSubcommand, o: FleetFlags, cmd: Command) => {
      const g = globals(cmd);
      const apply = subcommand === "apply";
      const ssm = await createFleetSsm(o.region ? { region: o.region } : {});
      const label = `pwb-agent fleet ${subcommand} ${o.cluster}${g.role ? ` (${g.role})` : ""}`;
      let report;
      try {
        report = await runFleet(
          ssm,
          {
            subcommand,
            cluster: o.cluster,
            ...(g.role ? { role: g.role } : {}),
            documentName: o.document,
            executionTimeoutSeconds: o.timeout,
            deliveryTimeoutSeconds: 600,
            // A rolling apply: a quarter of the nodes at a time, stop at the first failure.
            maxConcurrency: o.maxConcurrency ?? (apply ? "25%" : "100%"),
            maxErrors: o.maxErrors ?? (apply ? "0" : "100%"),
            pollMs: Math.max(10, o.pollInterval * 1000),
            waitTimeoutMs: (o.wait ?? o.timeout + 120) * 1000,
          },
          progressLine(process.stderr, label),
        );
      } catch (e) {
        const name = (e as { name?: string }).name ?? "";
        const message = e instanceof Error ? e.message : String(e);
        // Credentials, region, a missing document: say what SSM said, and what it was asked.
        const prefix = name && name !== "Error" && !message.startsWith(name) ? `${name}: ` : "";
        throw new RuntimeFailure(`${label}: SSM: ${prefix}${message}`);
      }
      process.stdout.write(g.json ? fleetJson(report) : renderFleetTable(report));
      setExit(fleetExitCode(report));
    });
}
