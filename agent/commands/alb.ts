import { Command, InvalidArgumentError, Option } from "commander";
import type { EnsureStep } from "../alb/ensure/run.js";
import type { SelfOptions } from "../alb/self.js";
import { ALB_SETTING_FLAGS, ALB_SETTING_SOURCES, clusterAndRegion, resolveAlbSources, type AlbSettingSource } from "../alb/sources.js";
import { STATE_PATH } from "../alb/sync/state.js";
import type { AlbSettings, AlbSettingsInput } from "../alb/types.js";
import { BadInputError, ExitCode } from "../errors.js";
import { loadSite } from "../site/load.js";
import { detectFacts, openRoot } from "../node/open.js";
import { countAtLeastOne, decimalFlag, seconds as positiveSeconds } from "./flags.js";
import { globals, loggerFor, type CliGlobals } from "./globals.js";

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];

// The settings' own rules check ranges (agent/alb/settings.ts); a flag only has to be a number.
const integer = decimalFlag({ min: 0, max: 999_999_999, whole: true });
const share = decimalFlag({ min: 0, max: 1 });
const atLeastOne = countAtLeastOne;

function awsRegion(v: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v)) throw new InvalidArgumentError("expected an AWS region such as eu-west-1");
  return v;
}

const PARSERS = { list, integer } as const;
const settingSources = Object.entries(ALB_SETTING_SOURCES) as [keyof AlbSettings, AlbSettingSource][];

function optionOf(src: AlbSettingSource): Option {
  const opt = new Option(src.flag, src.help);
  if (src.parse) opt.argParser(PARSERS[src.parse] as (value: string, previous: unknown) => unknown);
  if (src.choices) opt.choices(src.choices);
  return opt;
}

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

/** What an ALB command starts from: its logger and root, the cluster and region, the resolved settings. */
async function albCommand(cmd: Command, o: ClusterFlags, flags: AlbSettingsInput, purpose: "sync" | "ensure", command: string, role: "head" | "login") {
  const g = globals(cmd);
  const log = loggerFor(g);
  const root = await openRoot(g.root);
  const facts = o.cluster && o.region && role === "head" ? null : await detectFacts(root, g, log);
  if (facts && facts.role !== role) log.warn({ role: facts.role }, `${command} belongs on the ${role} node`);
  const { cluster, region } = clusterAndRegion(o, facts, command);
  const site = await loadSite({ site: g.site, root, region, log });
  const settings = resolveAlbSources({ cluster, site, flags, purpose, command });
  return { g, log, root, facts, cluster, region, settings, site };
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
async function selfOptions(cmd: Command, o: SelfFlags, command: string): Promise<SelfOptions> {
  const { log, facts, cluster, region, settings } = await albCommand(cmd, o, settingsFromFlags({ ...o }, everyCommand), "sync", command, "login");
  if (!facts?.instance.id) throw new BadInputError(`${command}: cannot tell this node's instance id (IMDS unreachable and no node files say)`);
  return {
    cluster, region, log, instanceId: facts.instance.id,
    targetGroupName: settings.targetGroupName, targetPort: settings.targetPort, healthCheckPath: settings.healthCheckPath,
    ...(o.targetGroupArn ? { targetGroupArn: o.targetGroupArn } : {}),
    ...(o.workbenchUrl ? { workbenchUrl: o.workbenchUrl } : {}),
  };
}

const printJson = (g: CliGlobals, report: unknown, indent?: number) => {
  if (g.json) process.stdout.write(JSON.stringify(report, null, indent) + "\n");
};

export function addAlbCommands(program: Command, setExit: (code: number) => void): void {
  const alb = program.command("alb").description("the Workbench Application Load Balancer (head node)");
  addEnsureCommand(alb, setExit);
  addSelfCommands(alb, setExit);
  addSyncCommand(program, setExit);
}

function addEnsureCommand(alb: Command, setExit: (code: number) => void): void {
  addSettingOptions(clusterOptions(alb.command("ensure")), ensureOnly)
    .description("find or create the Workbench target group, internal ALB, HTTPS listener and security group (idempotent)")
    .option("--dry-run", "print what would be created or changed; change nothing", false)
    .action(async (o: EnsureFlags, cmd: Command) => {
      const { g, log, cluster, region, settings } = await albCommand(cmd, o, ensureSettingsFromFlags({ ...o }), "ensure", "alb ensure", "head");
      const { runAlbEnsure } = await import("../alb/ensure/run.js");
      const { ensurePlanEntries, renderEnsurePlan } = await import("../alb/ensure/plan.js");
      const report = await runAlbEnsure({ cluster, region, settings, dryRun: o.dryRun, log, settingName: (f) => ALB_SETTING_FLAGS[f] });
      if (g.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
      else process.stdout.write(report.dryRun ? renderEnsurePlan(report.steps) : renderSteps(report.steps, report.dryRun, report.dnsName));
      // As `plan`: a dry run with changes pending exits 10.
      setExit(report.dryRun && ensurePlanEntries(report.steps).length > 0 ? ExitCode.changesPending : ExitCode.ok);
    });
}

function addSelfCommands(alb: Command, setExit: (code: number) => void): void {
  clusterOptions(alb.command("self-register"))
    .description("login node: register this node with the Workbench target group once its Workbench answers (pwb-alb-self.service)")
    .option("--target-group-arn <arn>", "use this Workbench target group as is (no lookup by name and tag)")
    .option("--workbench-url <url>", "where this node's Workbench answers (default http://127.0.0.1:<target port>)")
    .option("--wait-healthy <seconds>", "also wait this long for the ALB to call the node healthy", positiveSeconds)
    .option("--watch", "then stay, and drain this node as soon as its Auto Scaling lifecycle state turns Terminated", false)
    .action(async (o: SelfFlags, cmd: Command) => {
      const g = globals(cmd);
      const { runSelfRegister } = await import("../alb/self-watch.js");
      const { imdsSettings } = await import("../facts/imds.js");
      await runSelfRegister({
        options: () => selfOptions(cmd, o, "alb self-register"),
        watch: o.watch === true,
        imds: imdsSettings({ enabled: g.imds, ...(g.imdsEndpoint ? { endpoint: g.imdsEndpoint } : {}) }),
        ...(o.waitHealthy ? { waitHealthyMs: o.waitHealthy * 1000 } : {}),
        log: loggerFor(g),
        onReport: (r) => printJson(g, r),
      });
      setExit(ExitCode.ok);
    });

  clusterOptions(alb.command("self-deregister"))
    .description("login node: deregister this node and wait while the ALB drains it, so Workbench can stop cleanly")
    .option("--target-group-arn <arn>", "use this Workbench target group as is (no lookup by name and tag)")
    .option("--max-wait <seconds>", "stop waiting for the drain after this long (default: the deregistration delay + 10 s)", positiveSeconds)
    .action(async (o: SelfFlags, cmd: Command) => {
      const options = await selfOptions(cmd, o, "alb self-deregister");
      const { deregisterSelf } = await import("../alb/self.js");
      printJson(globals(cmd), await deregisterSelf({ ...options, ...(o.maxWait ? { maxWaitMs: o.maxWait * 1000 } : {}) }));
      setExit(ExitCode.ok);
    });
}

function addSyncCommand(program: Command, setExit: (code: number) => void): void {
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
      const { g, log, root, cluster, region, settings, site } = await albCommand(cmd, o, settingsFromFlags({ ...o }, everyCommand), "sync", "alb-sync", "head");
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
