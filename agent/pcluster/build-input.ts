import { JOBCOMP_SCRIPT } from "../components/logs/jobcomp.js";
import { ALB_DEFAULTS } from "../alb/settings.js";
import { BadInputError } from "../errors.js";
import { HOOK_SCRIPT_NAME } from "./hook.js";
import { clusterInputSchema, type ClusterInputFile } from "./input-schema.js";
import { parseS3, partitionOf, type QueueInput, type RenderInput } from "./input.js";
import { loginNodesFor } from "./sizing.js";
import { NEWEST_KNOWN, SINCE, atLeast, formatVersion, parsePclusterVersion, pclusterOses, type PclusterVersion } from "./versions.js";
import { YView } from "./yaml-view.js";

/** The parts of the site configuration a cluster configuration depends on (SiteConfig has them). */
export interface SiteForCluster {
  source: string;
  storage: { home: string; workbench: string };
  slurm: { partitions: ReadonlyArray<{ name: string; instanceType: string | null; gpus: { count: number } | null }> };
  mirror: { url: string } | null;
  database: { password: { ssm: string } | { file: string } };
  telemetry?: { jobCompletion: { enabled: boolean } };
  alb: { vpcId?: string; subnets?: string[]; scheme?: "internal" | "internet-facing"; hostedZoneId?: string; recordName?: string; targetSecurityGroupIds?: string[] } | null;
}

const SITE_OBJECT = "site.yaml";

/** YAML text of the cluster input file → validated, every problem as `file:line:column: field: expected …`. */
export function parseClusterInput(text: string, source: string): ClusterInputFile {
  const { root, syntaxErrors, toJS } = YView.parse(text);
  if (syntaxErrors.length) {
    throw new BadInputError(syntaxErrors.map((e) => `${source}:${e.position.line}:${e.position.column}: not valid YAML: ${e.message}`).join("\n"));
  }
  const parsed = clusterInputSchema.safeParse(toJS() ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    // The deepest node the path reaches: an unknown key or a missing one points at its parent.
    let at = root;
    let reached = true;
    for (const p of issue.path) {
      const next = typeof p === "number" ? at.items()[p] : at.get(String(p));
      if (!next || !next.present) {
        reached = false;
        break;
      }
      at = next;
    }
    // A wrong value points at the value; a missing or unknown key at the mapping that should (not) hold it.
    const unknown = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? at.get(issue.keys[0]) : null;
    const pos = unknown?.present ? unknown.keyPosition : reached && at.exists ? at.position : at.keyPosition;
    const field = issue.path.length ? issue.path.join(".") : "(top level)";
    const keys = issue.code === "unrecognized_keys" ? ` (unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")})` : "";
    return `${source}:${pos.line}:${pos.column}: ${field}: ${issue.message}${keys}`;
  });
  throw new BadInputError(lines.join("\n"), { file: source });
}

/** A ParallelCluster compute-resource name from an instance type: m6i.xlarge → m6i-xlarge. */
export function computeResourceName(instanceType: string): string {
  return instanceType.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 25);
}

function queues(site: SiteForCluster, input: ClusterInputFile): QueueInput[] {
  const unknown = Object.keys(input.queues).filter((q) => !site.slurm.partitions.some((p) => p.name === q));
  if (unknown.length) throw new BadInputError(`queues: ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not a partition in ${site.source} (${site.slurm.partitions.map((p) => p.name).join(", ")})`);
  return site.slurm.partitions.map((p) => {
    const o = input.queues[p.name];
    // ParallelCluster's queue names are stricter than Slurm's (CLI NameValidator).
    if (!/^[a-z][a-z0-9-]{0,24}$/.test(p.name) || p.name === "default") {
      throw new BadInputError(`${site.source}: partition "${p.name}" cannot be a ParallelCluster queue: expected lower-case letters, digits and '-', starting with a letter, at most 25 characters`);
    }
    const instanceType = o?.instanceType ?? p.instanceType;
    if (!instanceType) throw new BadInputError(`partition "${p.name}" has no instanceType in ${site.source}: give queues.${p.name}.instanceType in the cluster input`);
    const minCount = o?.minCount ?? 0;
    const maxCount = o?.maxCount ?? 10;
    if (minCount > maxCount) throw new BadInputError(`queues.${p.name}: minCount (${minCount}) exceeds maxCount (${maxCount})`);
    return {
      name: p.name,
      computeResourceName: computeResourceName(instanceType),
      instanceType,
      minCount,
      maxCount,
      capacityType: o?.capacityType ?? "ONDEMAND",
      gpu: p.gpus !== null,
    };
  });
}

/**
 * What the cluster input asks for that its ParallelCluster release cannot take: refused here, with
 * the field named, rather than rendered into a file `pcluster create-cluster` rejects.
 */
function checkForVersion(input: ClusterInputFile, version: PclusterVersion): void {
  const release = formatVersion(version);
  const oses = pclusterOses(version);
  if (!oses.includes(input.os)) {
    throw new BadInputError(`os: ParallelCluster ${release} does not support ${input.os} (it supports ${oses.join(", ")}); set pclusterVersion to a release that does`);
  }
  if (input.fileSystems.workbenchEfsAccessPointId && !atLeast(version, SINCE.efsAccessPoint)) {
    throw new BadInputError(`fileSystems.workbenchEfsAccessPointId: EFS access points need ParallelCluster ${SINCE.efsAccessPoint} or newer (pclusterVersion is ${release})`);
  }
}

/** Site + cluster input → everything the renderers need, defaults applied. */
export function buildRenderInput(site: SiteForCluster, input: ClusterInputFile): RenderInput {
  const artifacts = parseS3(input.artifacts)!;
  const prefix = artifacts.prefix ? `${artifacts.prefix}/` : "";
  const version = parsePclusterVersion(input.pclusterVersion ?? NEWEST_KNOWN)!;
  checkForVersion(input, version);
  const mirror = site.mirror?.url.startsWith("s3://") ? parseS3(site.mirror.url) : null;
  const sessions = input.login.concurrentSessions;
  return {
    clusterName: input.name,
    region: input.region,
    partition: partitionOf(input.region),
    accountId: input.accountId,
    pclusterVersion: formatVersion(version),
    os: input.os,
    customAmi: input.customAmi,
    hookScriptUrl: `s3://${artifacts.bucket}/${prefix}${HOOK_SCRIPT_NAME}`,
    siteUrl: `s3://${artifacts.bucket}/${prefix}${SITE_OBJECT}`,
    headNode: {
      instanceType: input.headNode.instanceType,
      subnetId: input.headNode.subnetId,
      ...(input.headNode.keyName ? { keyName: input.headNode.keyName } : {}),
      additionalSecurityGroups: input.headNode.additionalSecurityGroups,
      policyArns: input.headNode.policyArns,
    },
    login: {
      poolName: input.login.poolName,
      instanceType: input.login.instanceType,
      subnetId: input.login.subnetId,
      count: input.login.count ?? loginNodesFor(sessions),
      concurrentSessions: sessions,
      additionalSecurityGroups: input.login.additionalSecurityGroups,
      policyArns: input.login.policyArns,
    },
    compute: { subnetIds: input.compute.subnetIds, additionalSecurityGroups: input.compute.additionalSecurityGroups, policyArns: input.compute.policyArns },
    queues: queues(site, input),
    slurmAccounting: {
      uri: input.slurmAccounting.uri,
      userName: input.slurmAccounting.userName,
      passwordSecretArn: input.slurmAccounting.passwordSecretArn,
      ...(input.slurmAccounting.databaseName ? { databaseName: input.slurmAccounting.databaseName } : {}),
    },
    storage: {
      homeDir: site.storage.home,
      homeFsxId: input.fileSystems.homeFsxId,
      workbenchDir: site.storage.workbench,
      workbenchEfsId: input.fileSystems.workbenchEfsId,
      ...(input.fileSystems.workbenchEfsAccessPointId ? { workbenchEfsAccessPointId: input.fileSystems.workbenchEfsAccessPointId } : {}),
    },
    ...(input.directoryService ? { directoryService: input.directoryService } : {}),
    access: {
      artifacts: { ...artifacts, keys: [`${prefix}${HOOK_SCRIPT_NAME}`, `${prefix}${SITE_OBJECT}`] },
      mirror,
      parameterPath: input.parameterPath ?? `/pwb-agent/${input.name}/`,
      deniedParameters: "ssm" in site.database.password ? [site.database.password.ssm] : [],
    },
    alb: site.alb
      ? {
          vpcId: site.alb.vpcId ?? null,
          subnets: site.alb.subnets ?? [],
          scheme: site.alb.scheme ?? ALB_DEFAULTS.scheme,
          hostedZoneId: site.alb.hostedZoneId ?? null,
          recordName: site.alb.recordName ?? null,
          targetSecurityGroupIds: site.alb.targetSecurityGroupIds ?? [],
        }
      : null,
    tags: Object.entries(input.tags).map(([key, value]) => ({ key, value })),
    ...(site.telemetry?.jobCompletion.enabled ? { jobCompletionScript: JOBCOMP_SCRIPT } : {}),
  };
}
