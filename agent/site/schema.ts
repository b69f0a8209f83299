// Named imports, not the `z` namespace: the namespace keeps every locale in the bundle (~450 KB vs ~85 KB).
import { array, boolean, enum as oneOf, number, record, strictObject, string, union, type input, type output, type RefinementCtx } from "zod";
import { instanceShape } from "./instance-types.js";
import { isSystemDirectory, MAX_PATH_LENGTH } from "./limits.js";
import { atLeast, OLDEST_SUPPORTED, parseWorkbenchVersion } from "./version.js";
import { apptainerSection } from "./sections/apptainer.js";
import { cudaSection } from "./sections/cuda.js";
import { imagesSection } from "./sections/images.js";
import { checksumsSection } from "./sections/checksums.js";
import { spankSection } from "./sections/spank.js";
import { METRICS_SINCE, telemetrySection } from "./sections/telemetry.js";

/*
 * The site file's shape. Every object is strict (an unknown key is an error, so a typo never passes
 * silently), every message starts with what was expected, and defaults make a minimal file ~10 lines.
 * Values end up in Workbench's `key=value` files: strings are single-line and trimmed.
 */

const expected = (what: string) => ({ error: `expected ${what}` });

const singleLine = (what = "a non-empty single-line string") =>
  string(expected(what))
    .min(1, expected(what))
    .refine((s) => !/[\r\n\0]/.test(s) && s.trim() === s, expected(`${what} without line breaks or surrounding spaces`));

const absolutePath = string(expected("an absolute path"))
  .max(MAX_PATH_LENGTH, expected(`an absolute path of at most ${MAX_PATH_LENGTH} characters`))
  .refine(
    (p) => p.startsWith("/") && !/[\r\n\0\s,]/.test(p) && (p === "/" || !p.endsWith("/")) && !p.split("/").includes(".."),
    expected("an absolute path (starting with /, no spaces, commas, '..' or trailing /)"),
  )
  .refine((p) => p.split("/").every((part) => part.length <= 255), expected("path components of at most 255 characters"));

/**
 * A directory the agent writes into or shares (storage, image directories): never / or a
 * directory the operating system owns, where Workbench's files would mix with the system's.
 */
const ownDirectory = absolutePath.refine(
  (p) => !isSystemDirectory(p),
  expected("a directory of its own: not /, a system directory (/etc, /usr, /var, …) or anything under /proc, /sys, /dev, /run, /boot"),
);

const port = number(expected("a port number")).int(expected("an integer port")).min(1, expected("a port from 1 to 65535")).max(65535, expected("a port from 1 to 65535"));

const name = (what: string, pattern: RegExp, max = 64) =>
  string(expected(what)).max(max, expected(`${what} of at most ${max} characters`)).regex(pattern, expected(what));

/** Names of Slurm partitions and launcher clusters: they appear in file names and comma lists. */
const slurmName = name("a name of letters, digits, '-' or '_' (starting with a letter)", /^[A-Za-z][A-Za-z0-9_-]*$/, 40);
const posixName = name("a user or group name", /^[a-z_][a-z0-9_.-]*\$?$/, 32);

const httpUrl = string(expected("an http(s) URL"))
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === "https:" || url.protocol === "http:") && url.search === "" && url.hash === "" && !/\s/.test(u);
    } catch {
      return false;
    }
  }, expected("an http(s) URL without query or fragment, e.g. https://workbench.example.com"));

const workbenchVersion = string(expected("a Workbench version"))
  .refine((v) => parseWorkbenchVersion(v) !== null, expected("a Workbench version like 2024.12.1+563.pro5"))
  .refine((v) => {
    const parsed = parseWorkbenchVersion(v);
    return parsed === null || atLeast(parsed, OLDEST_SUPPORTED);
  }, expected(`Workbench ${OLDEST_SUPPORTED} or newer (the oldest version pwb-agent renders configuration for)`));

/** Where a secret comes from: an SSM Parameter Store SecureString, or a root-only file on the node. */
export const secretRefSchema = union(
  [
    strictObject({ ssm: name("an SSM parameter name or ARN", /^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter)?[A-Za-z0-9_.\-/]+$/, 2048) }),
    strictObject({ file: absolutePath }),
  ],
  expected("{ ssm: <SSM parameter name> } or { file: <absolute path of a root-only file> }"),
);

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const configKey = /^[a-z0-9][a-z0-9-]*$/;

const scalar = union([string(), number(), boolean()], expected("a string, number or boolean"));

const idesSchema = strictObject({
    jupyter: strictObject({
        enabled: boolean(expected("true or false")).default(true),
        labs: boolean(expected("true or false")).default(true),
        notebooks: boolean(expected("true or false")).default(false),
      })
      .prefault({}),
    vscode: strictObject({ enabled: boolean(expected("true or false")).default(true) }).prefault({}),
    positron: strictObject({ enabled: boolean(expected("true or false")).default(false) }).prefault({}),
  })
  .prefault({});

const workbenchSchema = strictObject({
  version: workbenchVersion,
  url: httpUrl,
  port: port.default(8787),
  launcherPort: port.default(5559),
  adminGroup: posixName.nullable().default(null),
  superuserGroup: posixName.nullable().default(null),
  debugLogging: boolean(expected("true or false")).default(false),
  sharedConfigWaitSeconds: number(expected("a number of seconds")).int(expected("a whole number of seconds")).min(0, expected("0 to 480 seconds")).max(480, expected("0 to 480 seconds (a login node has 600 s to boot)")).default(120),
  ides: idesSchema,
  audit: strictObject({
      rSessions: boolean(expected("true or false")).default(false),
      rConsole: oneOf(["none", "input", "all"], expected('one of "none", "input", "all"')).default("none"),
    })
    .prefault({}),
  crashHandling: boolean(expected("true or false")).default(false),
  rserver: record(string().regex(configKey, expected("an rserver.conf key (lower-case letters, digits, '-')")), scalar).default({}),
  launcherEnv: record(string().regex(envName, expected("an environment variable name")), scalar).default({}),
});

const storageSchema = strictObject({
    workbench: ownDirectory.default("/opt/rstudio"),
    home: ownDirectory.default("/home"),
    sharedStoragePath: ownDirectory.optional(),
  })
  .prefault({});

const databaseSchema = strictObject({
  host: name("a host name or IP address", /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:]+\]?$/, 253),
  port: port.default(5432),
  name: name("a database name", /^[A-Za-z_][A-Za-z0-9_$-]*$/, 63).default("pwb"),
  user: name("a database user name", /^[A-Za-z_][A-Za-z0-9_$.-]*$/, 63).default("pwb"),
  password: secretRefSchema,
  sslMode: oneOf(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"], expected("a libpq sslmode: disable, allow, prefer, require, verify-ca or verify-full"))
    .default("require"),
});

const partitionSchema = strictObject({
  name: slurmName,
  instanceType: name("an EC2 instance type like m6i.xlarge", /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, 40).optional(),
  cpus: number(expected("a number of vCPUs")).int(expected("a whole number of vCPUs")).min(1, expected("at least 1 vCPU")).optional(),
  memoryMiB: number(expected("memory in MiB")).int(expected("a whole number of MiB")).min(512, expected("at least 512 MiB")).optional(),
  gpus: strictObject({
      count: number(expected("a number of GPUs")).int(expected("a whole number of GPUs")).min(1, expected("at least 1 GPU")),
      type: name("a Slurm GRES type name", /^[A-Za-z0-9_.-]+$/, 40).optional(),
    })
    .optional(),
  sessions: boolean(expected("true or false")).default(true),
  jobs: boolean(expected("true or false")).default(true),
});

const clusterSchema = strictObject({
  name: slurmName,
  use: oneOf(["sessions", "jobs", "both"], expected('one of "sessions", "jobs", "both"')),
  partitions: array(slurmName, expected("a list of partition names")).min(1, expected("at least one partition")).optional(),
  defaultPartition: slurmName.optional(),
});

const slurmSchema = strictObject({
  binPath: absolutePath.default("/opt/slurm/bin"),
  conf: absolutePath.default("/opt/slurm/etc/slurm.conf"),
  serviceUser: posixName.default("slurm"),
  partitions: array(partitionSchema, expected("a list of Slurm partitions (ParallelCluster queues)")).min(1, expected("at least one partition")),
  clusters: array(clusterSchema, expected("a list of launcher clusters")).min(1, expected("at least one cluster")).optional(),
});

const profileSchema = strictObject({
  id: name("a profile id of letters, digits, '-' or '_'", /^[A-Za-z0-9][A-Za-z0-9_-]*$/, 40),
  label: singleLine("a label").refine((s) => !s.includes('"'), expected("a label without double quotes")).optional(),
  cpus: number(expected("a number of CPUs")).int(expected("a whole number of CPUs")).min(1, expected("at least 1 CPU")),
  memoryMiB: number(expected("memory in MiB")).int(expected("a whole number of MiB")).min(128, expected("at least 128 MiB")),
});

const versionList = (what: string) =>
  strictObject({
      versions: array(name(`a ${what} version like 4.4.2`, /^\d+(\.\d+){1,3}$/, 20), expected(`a list of ${what} versions`)).default([]),
      default: name(`a ${what} version like 4.4.2`, /^\d+(\.\d+){1,3}$/, 20).optional(),
    })
    .prefault({});

const containersSchema = strictObject({
    enabled: boolean(expected("true or false")).default(false),
    imageDirectory: ownDirectory.optional(),
    bind: array(absolutePath, expected("a list of absolute paths")).default(["/opt/slurm/etc", "/opt/slurm/libexec", "/var/spool/slurmd", "/var/run/munge"]),
  })
  .prefault({});

const mirrorSchema = strictObject({
  url: string(expected("an s3:// or https:// URL"))
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?|https?:\/\/\S+)$/, expected("an s3://bucket/prefix or https:// URL")),
});

const elbName = (what: string) =>
  name(`${what} (1-32 letters, digits or '-', not starting or ending with '-')`, /^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 32);
const awsId = (prefix: string, what: string) => name(`${what} like ${prefix}-0123456789abcdef0`, new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), prefix.length + 18);

/** The Workbench ALB (`pwb-agent alb ensure` / `alb-sync`); every field defaults from the cluster name. */
const albSchema = strictObject({
  name: elbName("an ALB name").optional(),
  targetGroupName: elbName("a target group name").optional(),
  vpcId: awsId("vpc", "a VPC id").optional(),
  subnets: array(awsId("subnet", "a subnet id"), expected("a list of subnet ids")).optional(),
  certificateArn: name("an ACM certificate ARN", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 2048).optional(),
  scheme: oneOf(["internal", "internet-facing"], expected('"internal" or "internet-facing"')).optional(),
  ingressCidrs: array(name("an IPv4 CIDR like 10.0.0.0/16", /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 18), expected("a list of CIDRs")).optional(),
  targetSecurityGroupIds: array(awsId("sg", "a security group id"), expected("a list of security group ids")).optional(),
  hostedZoneId: name("a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ", /^Z[A-Z0-9]{1,31}$/, 32).optional(),
  recordName: name("a DNS name like workbench.example.com", /^(?=.{1,253}\.?$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/, 254).optional(),
});

const siteShape = strictObject({
  workbench: workbenchSchema,
  storage: storageSchema,
  database: databaseSchema,
  alb: albSchema.optional(),
  slurm: slurmSchema,
  profiles: array(profileSchema, expected("a list of resource profiles")).min(1, expected("at least one profile")).optional(),
  containers: containersSchema,
  runtimes: strictObject({ r: versionList("R"), python: versionList("Python"), quarto: versionList("Quarto") }).prefault({}),
  mirror: mirrorSchema.optional(),
  // Containers and GPUs (agent/site/sections/*): absent = that component declares nothing.
  apptainer: apptainerSection.optional(),
  spank: spankSection.optional(),
  cuda: cudaSection.optional(),
  images: imagesSection.optional(),
  checksums: checksumsSection.optional(),
  telemetry: telemetrySection.optional(),
});

type Shape = output<typeof siteShape>;

export const siteSchema = siteShape.superRefine(crossChecks);

export type SiteInput = input<typeof siteSchema>;
export type SiteParsed = output<typeof siteSchema>;

/** Keys pwb-agent writes in rserver.conf itself: `workbench.rserver` may not override them. */
export const MANAGED_RSERVER_KEYS = new Set([
  "server-health-check-enabled", "www-port", "server-shared-storage-path", "load-balancing-enabled",
  "secure-cookie-key-file", "launcher-sessions-enabled", "launcher-address", "launcher-port",
  "launcher-sessions-callback-address", "launcher-sessions-clusters", "launcher-adhoc-clusters",
  "launcher-default-cluster", "launcher-sessions-create-container-user", "launcher-sessions-forward-container-environment",
  "launcher-sessions-forward-environment", "auth-pam-sessions-enabled", "r-versions-path", "audit-data-path",
  "monitor-data-path", "admin-enabled", "admin-group", "admin-superuser-group", "audit-r-sessions", "audit-r-console",
  // telemetry: (agent/site/sections/telemetry.ts)
  "metrics-enabled", "metrics-port", "server-access-log", "audited-jobs", "audited-jobs-storage-path",
]);

/** Variables launcher-env gets from other fields. */
const MANAGED_LAUNCHER_ENV = new Set(["SLURM_CONF", "APPTAINER_BIND", "SINGULARITY_BIND"]);

/** Rules that span fields: references between lists, and what a Workbench version supports. */
function crossChecks(s: Shape, ctx: RefinementCtx<Shape>): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const version = parseWorkbenchVersion(s.workbench.version);

  const partitions = s.slurm.partitions;
  const names = new Set<string>();
  partitions.forEach((p, i) => {
    if (names.has(p.name)) issue(["slurm", "partitions", i, "name"], `expected a unique partition name; "${p.name}" is listed twice`);
    names.add(p.name);
    if (p.instanceType !== undefined && instanceShape(p.instanceType) === null && (p.cpus === undefined || p.memoryMiB === undefined)) {
      issue(["slurm", "partitions", i, "instanceType"], `expected an instance type pwb-agent knows, or cpus and memoryMiB next to it: "${p.instanceType}" is not in its table`);
    }
    if (p.instanceType === undefined && (p.cpus === undefined || p.memoryMiB === undefined)) {
      issue(["slurm", "partitions", i], "expected instanceType, or both cpus and memoryMiB, to size resource profiles");
    }
  });

  const clusters = s.slurm.clusters ?? [];
  const clusterNames = new Set<string>();
  clusters.forEach((c, i) => {
    if (clusterNames.has(c.name)) issue(["slurm", "clusters", i, "name"], `expected a unique cluster name; "${c.name}" is listed twice`);
    clusterNames.add(c.name);
    (c.partitions ?? []).forEach((p, j) => {
      if (!names.has(p)) issue(["slurm", "clusters", i, "partitions", j], `expected one of the partitions in slurm.partitions (${[...names].join(", ")}); got "${p}"`);
    });
    const offered = c.partitions ?? [...names];
    if (c.defaultPartition !== undefined && !offered.includes(c.defaultPartition)) {
      issue(["slurm", "clusters", i, "defaultPartition"], `expected one of this cluster's partitions (${offered.join(", ")})`);
    }
  });
  if (clusters.length && !clusters.some((c) => c.use !== "jobs")) {
    issue(["slurm", "clusters"], 'expected at least one cluster with use "sessions" or "both"');
  }
  if (!clusters.length && !partitions.some((p) => p.sessions)) {
    issue(["slurm", "partitions"], "expected at least one partition with sessions: true");
  }

  const ids = new Set<string>();
  (s.profiles ?? []).forEach((p, i) => {
    if (ids.has(p.id)) issue(["profiles", i, "id"], `expected a unique profile id; "${p.id}" is listed twice`);
    ids.add(p.id);
  });

  for (const kind of ["r", "python", "quarto"] as const) {
    const rt = s.runtimes[kind];
    if (rt.default !== undefined && !rt.versions.includes(rt.default)) {
      issue(["runtimes", kind, "default"], `expected one of runtimes.${kind}.versions (${rt.versions.join(", ") || "none listed"})`);
    }
    const seen = new Set<string>();
    rt.versions.forEach((v, i) => {
      if (seen.has(v)) issue(["runtimes", kind, "versions", i], `expected each version once; ${v} is listed twice`);
      seen.add(v);
    });
  }

  for (const key of Object.keys(s.workbench.rserver)) {
    if (MANAGED_RSERVER_KEYS.has(key)) issue(["workbench", "rserver", key], `expected a key pwb-agent does not manage: set ${key} through its own site field`);
  }
  for (const key of Object.keys(s.workbench.launcherEnv)) {
    if (MANAGED_LAUNCHER_ENV.has(key)) issue(["workbench", "launcherEnv", key], `expected a variable pwb-agent does not set: ${key} comes from slurm.conf / containers.bind`);
  }
  for (const section of ["rserver", "launcherEnv"] as const) {
    for (const [key, value] of Object.entries(s.workbench[section])) {
      if (typeof value === "string" && (/[\r\n\0]/.test(value) || value.trim() !== value)) {
        issue(["workbench", section, key], "expected a single-line value without surrounding spaces");
      }
    }
  }

  // Workbench only offers the images; the runtime that runs them (Apptainer) is baked into the AMI from
  // the apptainer: section. Without it every container session fails. (The SPANK plugin is optional:
  // Workbench 2023.12+ starts Slurm sessions in containers itself; the plugin adds --singularity-container.)
  if (s.containers.enabled && s.apptainer === undefined) {
    issue(["containers", "enabled"], "expected an apptainer: section when containers.enabled is true (the container runtime baked into the image), or containers.enabled: false");
  }

  if (version) {
    if (s.telemetry?.metrics?.enabled === true && !atLeast(version, METRICS_SINCE)) {
      issue(["telemetry", "metrics", "enabled"], `expected false: Workbench's Prometheus endpoint needs Workbench ${METRICS_SINCE} or newer`);
    }
    if (s.workbench.ides.positron.enabled && !atLeast(version, "2024.12.0")) {
      issue(["workbench", "ides", "positron", "enabled"], "expected false: Positron sessions need Workbench 2024.12.0 or newer");
    }
    if (s.containers.enabled && !atLeast(version, "2023.12.0")) {
      issue(["containers", "enabled"], "expected false: Singularity/Apptainer sessions on Slurm need Workbench 2023.12.0 or newer");
    }
  }
}
