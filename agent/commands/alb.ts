import { Command, InvalidArgumentError, Option } from "commander";
import type { EnsureStep } from "../alb/ensure/run.js";
import { albSettingProblems, resolveAlbSettings } from "../alb/settings.js";
import { STATE_PATH } from "../alb/sync/state.js";
import type { AlbSettings, AlbSettingsInput } from "../alb/types.js";
import type { Root } from "../nodefs/root.js";
import { BadInputError, ExitCode } from "../errors.js";
import type { Logger } from "../log.js";
import { loadSite } from "../site/load.js";
import type { AlbSite, SiteConfig } from "../site/types.js";
import { globals, loggerFor, positiveSeconds, type CliGlobals } from "./cli-support.js";
import { detectFacts, openRoot } from "./context.js";

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];

/** Decimal digits only: `Number("")` is 0 and `Number("0x1bb")` is 443, neither is what was meant. */
function integer(v: string): number {
  const n = /^\s*\d{1,9}\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new InvalidArgumentError("expected a whole number");
  return n;
}

function share(v: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("expected a number from 0 to 1");
  return n;
}

function atLeastOne(v: string): number {
  const n = integer(v);
  if (n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

function awsRegion(v: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v)) throw new InvalidArgumentError("expected an AWS region such as eu-west-1");
  return v;
}

/** How an operator sets one AlbSettings field: its flag (with help), and its key in the site's `alb:` section if it has one. */
interface AlbSettingSource {
  flag: string;
  help: string;
  parse?: (value: string, previous: never) => unknown;
  choices?: string[];
  siteKey?: keyof AlbSite;
  /** Also a flag of alb-sync and the self-register commands (the target group), not only of `alb ensure`. */
  everyCommand?: true;
}

/**
 * Every ALB setting, once: the commander options, the flag and site-key names that errors cite, and
 * reading the flags and the site back into AlbSettingsInput all derive from this table (help lists them in this order).
 */
const ALB_SETTING_SOURCES: Record<keyof AlbSettings, AlbSettingSource> = {
  targetGroupName: { flag: "--target-group-name <name>", help: "Workbench target group (default pwb-<cluster[:19]>-<hash>)", siteKey: "targetGroupName", everyCommand: true },
  targetPort: { flag: "--target-port <port>", help: "Workbench's port on the login nodes", parse: integer, everyCommand: true },
  albName: { flag: "--alb-name <name>", help: "load balancer name (default pwb-<cluster[:19]>-<hash>)", siteKey: "name" },
  securityGroupName: { flag: "--security-group-name <name>", help: "the ALB's security group (default pwb-alb-<cluster>)" },
  vpcId: { flag: "--vpc-id <id>", help: "VPC of the login nodes (required)", siteKey: "vpcId" },
  subnets: { flag: "--subnets <ids>", help: "ALB subnets, comma-separated, at least two AZs (required)", parse: list, siteKey: "subnets" },
  certificateArn: { flag: "--certificate-arn <arn>", help: "ACM certificate of the HTTPS listener (required)", siteKey: "certificateArn" },
  scheme: { flag: "--scheme <scheme>", help: "ALB scheme", choices: ["internal", "internet-facing"], siteKey: "scheme" },
  listenerPort: { flag: "--listener-port <port>", help: "HTTPS listener port (default 443)", parse: integer },
  sslPolicy: { flag: "--ssl-policy <name>", help: "TLS policy of the listener" },
  ingressCidrs: { flag: "--ingress-cidrs <cidrs>", help: "who may reach the listener, comma-separated (default: the VPC's CIDR)", parse: list, siteKey: "ingressCidrs" },
  targetSecurityGroupIds: { flag: "--target-security-groups <ids>", help: "login nodes' security groups to open on the Workbench port to the ALB", parse: list, siteKey: "targetSecurityGroupIds" },
  healthCheckPath: { flag: "--health-check-path <path>", help: "Workbench health endpoint (default /health-check)" },
  healthCheckMatcher: { flag: "--health-check-matcher <codes>", help: "healthy HTTP codes (default 200)" },
  healthCheckIntervalSeconds: { flag: "--health-check-interval <seconds>", help: "seconds between health checks (default 5)", parse: integer },
  stickiness: { flag: "--no-stickiness", help: "turn sticky sessions off (on by default: lb_cookie)" },
  httpRedirect: { flag: "--no-http-redirect", help: "no HTTP listener on port 80 redirecting to HTTPS (on by default)" },
  hostedZoneId: { flag: "--hosted-zone-id <id>", help: "Route 53 hosted zone of --record-name: keep an A alias to the ALB there", siteKey: "hostedZoneId" },
  recordName: { flag: "--record-name <name>", help: "DNS name of Workbench (e.g. workbench.example.com), in --hosted-zone-id", siteKey: "recordName" },
  stickinessDurationSeconds: { flag: "--stickiness-duration <seconds>", help: "lifetime of the stickiness cookie (default 86400)", parse: integer },
  deregistrationDelaySeconds: { flag: "--deregistration-delay <seconds>", help: "time a removed login node gets to finish requests (default 60)", parse: integer },
};

const settingSources = Object.entries(ALB_SETTING_SOURCES) as [keyof AlbSettings, AlbSettingSource][];

function optionOf(src: AlbSettingSource): Option {
  const opt = new Option(src.flag, src.help);
  if (src.parse) opt.argParser(src.parse as (value: string, previous: unknown) => unknown);
  if (src.choices) opt.choices(src.choices);
  return opt;
}

/** The CLI flag of each AlbSettings field, so a bad setting is reported under the name the operator typed. */
export const ALB_SETTING_FLAGS = Object.fromEntries(settingSources.map(([f, src]) => [f, optionOf(src).long!])) as Record<keyof AlbSettings, string>;

/** The site's `alb:` key of each field that has one, so a bad value is reported under the key the operator wrote. */
const SITE_KEYS = Object.fromEntries(settingSources.flatMap(([f, src]) => (src.siteKey ? [[f, src.siteKey]] : []))) as Partial<Record<keyof AlbSettings, keyof AlbSite>>;

function addSettingOptions(cmd: Command, which: (src: AlbSettingSource) => boolean): Command {
  for (const [, src] of settingSources) if (which(src)) cmd.addOption(optionOf(src));
  return cmd;
}

/** The settings the parsed flags of `cmd` give (undefined where a flag was not given). */
function settingsFromFlags(o: Record<string, unknown>, which: (src: AlbSettingSource) => boolean): AlbSettingsInput {
  return Object.fromEntries(settingSources.filter(([, src]) => which(src)).map(([f, src]) => [f, o[optionOf(src).attributeName()]])) as AlbSettingsInput;
}

const everyCommand = (src: AlbSettingSource) => src.everyCommand === true;
const ensureOnly = (src: AlbSettingSource) => !src.everyCommand;

/** All the settings `alb ensure`'s parsed flags give. */
export const ensureSettingsFromFlags = (o: Record<string, unknown>): AlbSettingsInput => settingsFromFlags(o, () => true);

/** Flags shared by every ALB command: where the cluster is, and the Workbench target group. */
function clusterOptions(cmd: Command): Command {
  cmd
    .option("--cluster <name>", "cluster name (default: from /etc/chef/dna.json)")
    .option("--region <region>", "AWS region (default: from the node's facts)", awsRegion);
  return addSettingOptions(cmd, everyCommand);
}

interface ClusterFlags {
  cluster?: string;
  region?: string;
}

/** Cluster name and region: flags first, then the node's facts (dna.json, cfnconfig, IMDS). */
async function clusterOf(g: CliGlobals, o: ClusterFlags, root: Root, log: Logger): Promise<{ cluster: string; region: string }> {
  if (o.cluster && o.region) return { cluster: o.cluster, region: o.region };
  const facts = await detectFacts(root, g, log);
  if (facts.role !== "head") log.warn({ role: facts.role }, "the ALB commands belong on the head node");
  const cluster = o.cluster ?? facts.cluster.name;
  const region = o.region ?? facts.cluster.region ?? facts.instance.region;
  if (!cluster) throw new BadInputError("cannot tell the cluster name: the node's facts have none; pass --cluster");
  if (!region) throw new BadInputError("cannot tell the AWS region: the node's facts have none; pass --region");
  return { cluster, region };
}

const defined = (input: AlbSettingsInput): AlbSettingsInput =>
  Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as AlbSettingsInput;

function fromSite(alb: AlbSite): AlbSettingsInput {
  return defined(Object.fromEntries(Object.entries(SITE_KEYS).map(([field, key]) => [field, alb[key]])) as AlbSettingsInput);
}

/**
 * Settings from the site's `alb:` section (default site file or --site), flags winning. A site
 * that has no `alb:` section says this cluster has no Workbench ALB: without flags that is bad input.
 */
async function settingsOrThrow(
  g: CliGlobals, root: Root, region: string, log: Logger,
  cluster: string, flags: AlbSettingsInput, purpose: "sync" | "ensure", command: string,
): Promise<{ settings: AlbSettings; site: SiteConfig | null }> {
  const site = await loadSite({ site: g.site, root, region, log });
  const given = defined(flags);
  if (site && !site.alb && Object.keys(given).length === 0) {
    throw new BadInputError(`${command}: the site config has no alb: section, so this cluster has no Workbench ALB; add one or pass flags`);
  }
  const settings = resolveAlbSettings(cluster, { ...(site?.alb ? fromSite(site.alb) : {}), ...given });
  const problems = albSettingProblems(settings, purpose);
  if (problems.length) {
    const where = (f: keyof AlbSettings) =>
      f in given || !site?.alb || SITE_KEYS[f] === undefined || site.alb[SITE_KEYS[f]!] === undefined
        ? ALB_SETTING_FLAGS[f]
        : `site alb.${SITE_KEYS[f]}`;
    const lines = problems.map((p) => `  ${where(p.field)}: ${p.problem}`);
    throw new BadInputError(`${command}: bad settings, nothing was changed:\n${lines.join("\n")}`, { fields: problems.map((p) => where(p.field)) });
  }
  return { settings, site };
}

interface EnsureFlags extends ClusterFlags {
  dryRun: boolean;
}

function renderSteps(steps: EnsureStep[], dryRun: boolean, dnsName: string | null): string {
  const width = Math.max(...steps.map((s) => s.action.length));
  const rows = steps.map((s) => `${s.action.padEnd(width)}  ${s.resource} ${s.name}${s.id ? ` (${s.id})` : ""}${s.detail && s.action !== "exists" ? `: ${s.detail}` : ""}`);
  const tail = dryRun ? "dry run: nothing was changed" : dnsName ? `Workbench ALB: https://${dnsName}` : "";
  return rows.join("\n") + "\n" + (tail ? tail + "\n" : "");
}

interface SyncFlags extends ClusterFlags {
  pool?: string[];
  targetGroupArn?: string;
  maxRemoveShare: number;
  confirmTicks: number;
  stateFile: string;
  metricsFile?: string;
  metrics: boolean;
  lockTimeout: number;
  deadline: number;
  dryRun: boolean;
}

interface SelfFlags extends ClusterFlags {
  targetGroupArn?: string;
  workbenchUrl?: string;
  watch?: boolean;
  waitHealthy?: number;
  maxWait?: number;
}

/** What a login node needs to put itself in (or take itself out of) the Workbench target group. */
/** What a head-node ALB command starts from: its logger and root, the cluster and region, the resolved settings. */
async function headCommand(cmd: Command, o: ClusterFlags, flags: AlbSettingsInput, purpose: "sync" | "ensure", command: string) {
  const g = globals(cmd);
  const log = loggerFor(g);
  const root = await openRoot(g.root);
  const { cluster, region } = await clusterOf(g, o, root, log);
  const { settings, site } = await settingsOrThrow(g, root, region, log, cluster, flags, purpose, command);
  return { g, log, root, cluster, region, settings, site };
}

async function selfOptions(g: CliGlobals, o: SelfFlags, command: string) {
  const log = loggerFor(g);
  const root = await openRoot(g.root);
  const facts = await detectFacts(root, g, log);
  if (facts.role !== "login") log.warn({ role: facts.role }, `${command} belongs on a login node`);
  const cluster = o.cluster ?? facts.cluster.name;
  const region = o.region ?? facts.cluster.region ?? facts.instance.region;
  if (!cluster) throw new BadInputError(`${command}: cannot tell the cluster name: the node's facts have none; pass --cluster`);
  if (!region) throw new BadInputError(`${command}: cannot tell the AWS region: the node's facts have none; pass --region`);
  if (!facts.instance.id) throw new BadInputError(`${command}: cannot tell this node's instance id (IMDS unreachable and no node files say)`);
  const { settings } = await settingsOrThrow(g, root, region, log, cluster, settingsFromFlags({ ...o }, everyCommand), "sync", command);
  return {
    log,
    options: {
      cluster, region, log, instanceId: facts.instance.id,
      targetGroupName: settings.targetGroupName, targetPort: settings.targetPort, healthCheckPath: settings.healthCheckPath,
      ...(o.targetGroupArn ? { targetGroupArn: o.targetGroupArn } : {}),
      ...(o.workbenchUrl ? { workbenchUrl: o.workbenchUrl } : {}),
    },
  };
}

/**
 * As a service (--watch), a node that cannot tell its instance id or settings yet (IMDS not up, the
 * site file not there yet) says why and tries again every 30 s instead of exiting into a restart loop.
 */
async function selfOptionsPatiently(g: CliGlobals, o: SelfFlags, signal: AbortSignal): ReturnType<typeof selfOptions> {
  for (;;) {
    try {
      return await selfOptions(g, o, "alb self-register");
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      loggerFor(g).error({ err: e.message }, "cannot register this node yet; trying again in 30 s");
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 30_000);
        signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
      });
    }
  }
}

export function addAlbCommands(program: Command, setExit: (code: number) => void): void {
  const alb = program.command("alb").description("the Workbench Application Load Balancer (head node)");

  addSettingOptions(clusterOptions(alb.command("ensure")), ensureOnly)
    .description("find or create the Workbench target group, internal ALB, HTTPS listener and security group (idempotent)")
    .option("--dry-run", "print what would be created or changed; change nothing", false)
    .action(async (o: EnsureFlags, cmd: Command) => {
      const { g, log, cluster, region, settings } = await headCommand(cmd, o, ensureSettingsFromFlags({ ...o }), "ensure", "alb ensure");
      const { runAlbEnsure } = await import("../alb/ensure/run.js");
      const { renderEnsurePlan } = await import("../alb/ensure/plan.js");
      const report = await runAlbEnsure({ cluster, region, settings, dryRun: o.dryRun, log, settingName: (f) => ALB_SETTING_FLAGS[f] });
      if (g.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(report.dryRun ? renderEnsurePlan(report.steps) : renderSteps(report.steps, report.dryRun, report.dnsName));
      // As `plan`: a dry run with changes pending exits 10.
      const pending = report.steps.some((s) => s.action === "would-create" || s.action === "would-update");
      setExit(report.dryRun && pending ? ExitCode.changesPending : ExitCode.ok);
    });

  clusterOptions(alb.command("self-register"))
    .description("login node: register this node with the Workbench target group once its Workbench answers (pwb-alb-self.service)")
    .option("--target-group-arn <arn>", "use this Workbench target group as is (no lookup by name and tag)")
    .option("--workbench-url <url>", "where this node's Workbench answers (default http://127.0.0.1:<target port>)")
    .option("--wait-healthy <seconds>", "also wait this long for the ALB to call the node healthy", positiveSeconds)
    .option("--watch", "then stay, and drain this node as soon as its Auto Scaling lifecycle state turns Terminated", false)
    .action(async (o: SelfFlags, cmd: Command) => {
      const g = globals(cmd);
      const stop = new AbortController();
      // systemd's stop runs ExecStop (the drain) first; SIGTERM then only ends the wait.
      const quit = () => stop.abort(new Error("stopped"));
      process.once("SIGTERM", quit);
      process.once("SIGINT", quit);
      try {
        const { log, options } = o.watch ? await selfOptionsPatiently(g, o, stop.signal) : await selfOptions(g, o, "alb self-register");
        const { registerSelf, lifecycleTerminated, deregisterSelf } = await import("../alb/self.js");
        const report = await registerSelf({ ...options, signal: stop.signal, ...(o.waitHealthy ? { waitHealthyMs: o.waitHealthy * 1000 } : {}) });
        if (g.json) process.stdout.write(JSON.stringify(report) + "\n");
        if (o.watch) {
          const { imdsSettings } = await import("../facts/imds.js");
          const imds = imdsSettings({ enabled: g.imds, ...(g.imdsEndpoint ? { endpoint: g.imdsEndpoint } : {}) });
          const why = await lifecycleTerminated({ ...options, imds, pollMs: 5_000, signal: stop.signal });
          if (why === "terminated") {
            log.info("the Auto Scaling group is terminating this node: draining it from the Workbench ALB");
            const drained = await deregisterSelf(options);
            if (g.json) process.stdout.write(JSON.stringify(drained) + "\n");
          } else {
            log.info("not in an Auto Scaling group: nothing to watch; draining happens when the unit stops");
            await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
          }
        }
      } catch (e) {
        if (!stop.signal.aborted) throw e;
      } finally {
        process.off("SIGTERM", quit);
        process.off("SIGINT", quit);
      }
      setExit(ExitCode.ok);
    });

  clusterOptions(alb.command("self-deregister"))
    .description("login node: deregister this node and wait while the ALB drains it, so Workbench can stop cleanly")
    .option("--target-group-arn <arn>", "use this Workbench target group as is (no lookup by name and tag)")
    .option("--max-wait <seconds>", "stop waiting for the drain after this long (default: the deregistration delay + 10 s)", positiveSeconds)
    .action(async (o: SelfFlags, cmd: Command) => {
      const g = globals(cmd);
      const { options } = await selfOptions(g, o, "alb self-deregister");
      const { deregisterSelf } = await import("../alb/self.js");
      const report = await deregisterSelf({ ...options, ...(o.maxWait ? { maxWaitMs: o.maxWait * 1000 } : {}) });
      if (g.json) process.stdout.write(JSON.stringify(report) + "\n");
      setExit(ExitCode.ok);
    });

  clusterOptions(program.command("alb-sync"))
    .description("one sync tick: make the Workbench target group's targets follow the login pools' NLB targets")
    .option("--pool <name>", "login pool to follow; repeat or comma-separate (default: the cluster config's pools)", list)
    .option("--target-group-arn <arn>", "use this Workbench target group as is (no lookup by name and tags)")
    .option("--max-remove-share <share>", "share of targets absence may remove in one tick", share, 0.5)
    .option("--confirm-ticks <n>", "consecutive identical answers that allow a larger removal", atLeastOne, 3)
    .option("--state-file <path>", "cached ARNs and guard state (under --root)", STATE_PATH)
    .option("--metrics-file <path>", "Prometheus textfile (under --root; default: pwb_alb_sync.prom where the node exporter reads textfiles)")
    .option("--no-metrics", "write no Prometheus textfile")
    .option("--lock-timeout <seconds>", "wait this long for another alb-sync run, then leave without changes", positiveSeconds, 2)
    .option("--deadline <seconds>", "give up on AWS after this long (the unit allows 24 s)", positiveSeconds, 20)
    .option("--dry-run", "read and decide, print the plan (exit 10 when targets would change); change nothing (AWS, state, metrics)", false)
    .action(async (o: SyncFlags, cmd: Command) => {
      const { g, log, root, cluster, region, settings, site } = await headCommand(cmd, o, settingsFromFlags({ ...o }, everyCommand), "sync", "alb-sync");
      const { runAlbSync } = await import("../alb/sync/run.js");
      const report = await runAlbSync({
        root, cluster, region, log,
        targetGroupName: settings.targetGroupName,
        targetPort: settings.targetPort,
        ...(o.targetGroupArn ? { targetGroupArn: o.targetGroupArn } : {}),
        ...(o.pool?.length ? { pools: o.pool } : {}),
        policy: { maxRemoveShare: o.maxRemoveShare, confirmTicks: o.confirmTicks },
        statePath: o.stateFile,
        metricsPath: o.metrics ? o.metricsFile : null,
        ...(site?.telemetry.textfileDirectory ? { textfileDirectory: site.telemetry.textfileDirectory } : {}),
        lockTimeoutMs: o.lockTimeout * 1000,
        deadlineMs: o.deadline * 1000,
        dryRun: o.dryRun,
      });
      if (g.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else if (o.dryRun) {
        const { renderSyncPlan } = await import("../alb/sync/plan-text.js");
        process.stdout.write(renderSyncPlan(report));
      } else if (process.stdout.isTTY) {
        const summary = `${report.outcome}: ${report.registered.length} registered, ${report.deregistered.length} deregistered, ` +
          `${report.held.length} held, ${report.blocked.length} kept; ${report.apiCalls} API calls in ${report.durationMs} ms`;
        process.stdout.write(summary + (report.failures.length ? `\n${report.failures.map((f) => `  failed: ${f}`).join("\n")}` : "") + "\n");
      }
      if (report.outcome === "failed") log.error({ failures: report.failures }, "alb-sync tick failed");
      // As `plan`: a dry run with changes pending exits 10.
      const pending = report.registered.length + report.deregistered.length > 0;
      setExit(report.outcome === "failed" ? ExitCode.failure : o.dryRun && pending ? ExitCode.changesPending : ExitCode.ok);
    });
}
