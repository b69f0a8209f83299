import { Command, Option } from "commander";
import { pclusterVersionOption } from "../pcluster/options.js";
import { writeAll } from "../pcluster/outputs.js";
import { issuesJson, renderIssues } from "../pcluster/report.js";
import { readInputBytes, renderClusterFiles } from "../pcluster/run.js";
import { validateClusterFile } from "../pcluster/validate-file.js";
import { NEWEST_KNOWN, formatVersion, type PclusterVersion } from "../pcluster/versions.js";
import { BadInputError, ExitCode } from "../errors.js";
import { countAtLeastOne } from "./flags.js";
import { globals, loggerFor } from "./globals.js";

/** Only bounds the read: size and encoding are the validator's own issues (a rule and a byte offset). */
const READ_CAP_BYTES = 64 * 1024 * 1024;

const versionOption = () =>
  new Option("--pcluster-version <version>", `ParallelCluster version to check against (3.8 or newer); default: the version the file's header names, else ${NEWEST_KNOWN}`).argParser(
    pclusterVersionOption,
  );

/** `pwb-agent cluster-config validate FILE` and `render`: the ParallelCluster side of the architecture. */
export function addClusterConfigCommand(program: Command, setExit: (code: number) => void): void {
  const group = program.command("cluster-config").description("render and validate the ParallelCluster cluster configuration");

  group
    .command("validate")
    .description("check a ParallelCluster 3.x cluster configuration (ours or hand-written); exit 2 on errors")
    .argument("<file>", "cluster configuration YAML")
    .addOption(versionOption())
    .option("--cluster-name <name>", "the name given to pcluster create-cluster (checked for length and characters)")
    .addOption(new Option("--sessions <n>", "expected concurrent Workbench sessions, for the login sizing warning").argParser(countAtLeastOne))
    .action(async (file: string, o: { pclusterVersion?: PclusterVersion; clusterName?: string; sessions?: number }, cmd: Command) => {
      const g = globals(cmd);
      const bytes = await readInputBytes(file, "cluster configuration", READ_CAP_BYTES);
      const result = validateClusterFile(bytes, {
        ...(o.pclusterVersion !== undefined ? { version: o.pclusterVersion } : {}),
        ...(o.clusterName !== undefined ? { clusterName: o.clusterName } : {}),
        ...(o.sessions !== undefined ? { sessions: o.sessions } : {}),
      });
      const version = formatVersion(result.version);
      process.stdout.write(g.json ? issuesJson(file, result, version, result.versionSource) : renderIssues(file, result, version));
      setExit(result.errors ? ExitCode.badInput : ExitCode.ok);
    });

  group
    .command("render")
    .description("write cluster.yaml, the custom-action hook and the login/compute IAM policies from --site and a cluster input file")
    .requiredOption("--input <file>", "cluster input YAML: subnets, AMI, file systems, Slurm accounting, IAM (cluster-config/templates/cluster-input.example.yaml)")
    .option("--out <dir>", "write every file here (cluster.yaml, pwb-agent-hook.sh, iam/*.json); without it cluster.yaml goes to stdout")
    .action(async (o: { input: string; out?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (!g.site) throw new BadInputError("cluster-config render needs --site FILE (the site configuration)");
      const { input, files, result } = await renderClusterFiles(g.site, o.input, loggerFor({ ...g, quiet: true, json: true }));
      if (result.warnings) process.stderr.write(renderIssues("cluster.yaml", result, input.pclusterVersion));

      if (!o.out) {
        process.stdout.write(g.json ? JSON.stringify({ files: files.map((f) => ({ path: f.path, content: f.content })) }, null, 2) + "\n" : files[0]!.content);
        return;
      }
      const written = await writeAll(o.out, files);
      process.stdout.write(
        g.json
          ? JSON.stringify({ written, pclusterVersion: input.pclusterVersion, loginNodes: input.login.count, warnings: result.warnings }, null, 2) + "\n"
          : `${written.map((w) => `wrote ${w}`).join("\n")}\n${input.login.count} login nodes for ${input.login.concurrentSessions} concurrent sessions; ParallelCluster ${input.pclusterVersion}\n`,
      );
    });
}
