import { check, intIn, mapItems, matches, need, str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";
import { checkResourceName, checkUnique } from "./names.js";

/** CLI constants.py. */
const MAX_QUEUES = 50;
const MAX_COMPUTE_RESOURCES = 50;
const DEFAULT_MIN_COUNT = 0;
const DEFAULT_MAX_COUNT = 10;
const CAPACITY_TYPES = ["ONDEMAND", "SPOT", "CAPACITY_BLOCK"];

function oneOf(ctx: RuleContext, v: YView, allowed: string[]): void {
  if (!check(ctx, v, "string")) return;
  if (!allowed.includes(str(v)!)) ctx.issues.error("format", v, `${v.where}: expected one of ${allowed.join(", ")}; got "${str(v)}"`);
}

function computeResource(ctx: RuleContext, cr: YView, capacityType: string | undefined): string | undefined {
  const name = need(ctx, cr.get("Name"), "string") ? checkResourceName(ctx, cr.get("Name"), "compute resource") : undefined;

  const type = cr.get("InstanceType");
  const instances = cr.get("Instances");
  if (type.exists && instances.exists) {
    ctx.issues.error("instance-type", instances, `${cr.where}: InstanceType and Instances cannot be configured together`, "key");
  } else if (!type.exists && !instances.exists) {
    ctx.issues.error("instance-type", cr, `${cr.where}: InstanceType or Instances is required`, "key");
  } else if (type.exists) {
    check(ctx, type, "string");
  } else {
    const seen = new Set<string>();
    for (const item of mapItems(ctx, instances)) {
      const t = item.get("InstanceType");
      if (!need(ctx, t, "string")) continue;
      if (seen.has(str(t)!)) ctx.issues.error("duplicate", t, `${t.where}: instance type ${str(t)} is listed twice`);
      seen.add(str(t)!);
    }
  }

  const minView = cr.get("MinCount");
  const maxView = cr.get("MaxCount");
  const min = minView.exists ? intIn(ctx, minView, 0, Number.MAX_SAFE_INTEGER, "MinCount") : DEFAULT_MIN_COUNT;
  const max = maxView.exists ? intIn(ctx, maxView, 1, Number.MAX_SAFE_INTEGER, "MaxCount") : DEFAULT_MAX_COUNT;
  if (min !== undefined && max !== undefined) {
    if (min > max) {
      const at = minView.exists ? minView : maxView;
      ctx.issues.error("min-max-count", at, `${cr.where}: MinCount (${min}) must not exceed MaxCount (${max})`);
    } else if (capacityType === "CAPACITY_BLOCK" && (min !== max || min === 0)) {
      ctx.issues.error("min-max-count", minView.exists ? minView : cr, `${cr.where}: with CapacityType CAPACITY_BLOCK, MinCount and MaxCount must be equal and above 0`);
    }
  }
  return name;
}

/** Slurm accounting database (CLI database_validators.py): `host[:port]`, no scheme. */
function database(ctx: RuleContext, db: YView): void {
  if (!check(ctx, db, "map")) return;
  const uri = db.get("Uri");
  if (need(ctx, uri, "string")) {
    const u = str(uri)!;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
      ctx.issues.error("database-uri", uri, `${uri.where}: give host[:port] without a scheme (remove "${u.split("://")[0]}://")`);
    } else if (u.startsWith("/")) {
      ctx.issues.error("database-uri", uri, `${uri.where}: give host[:port], not a path`);
    } else {
      const m = /^(\[[0-9a-fA-F:]+\]|[^:/\s]+)(?::(\d+))?$/.exec(u);
      const port = m?.[2] === undefined ? 3306 : Number(m[2]);
      if (!m || port < 1 || port > 65535) ctx.issues.error("database-uri", uri, `${uri.where}: expected host[:port] with a port from 1 to 65535 (default 3306); got "${u}"`);
    }
  }
  need(ctx, db.get("UserName"), "string");
  const secret = db.get("PasswordSecretArn");
  if (need(ctx, secret, "string")) matches(ctx, secret, /^arn:.*:secret/, "a Secrets Manager secret ARN (arn:…:secret:…)");
  const name = db.get("DatabaseName");
  if (name.exists) matches(ctx, name, /^[0-9a-z_]{1,64}$/, "1 to 64 lower-case letters, digits or '_'");
}

/**
 * InstancesAllocationStrategyValidator: the strategy applies to compute resources with several
 * instance types (Instances); on-demand capacity only has lowest-price, and a capacity block none.
 */
function allocationStrategy(ctx: RuleContext, queue: YView): void {
  const strategy = queue.get("AllocationStrategy");
  if (!strategy.exists || !queue.get("ComputeResources").items().some((cr) => cr.get("Instances").exists)) return;
  const capacity = queue.get("CapacityType").exists ? str(queue.get("CapacityType")) : "ONDEMAND";
  if (capacity === "ONDEMAND" && str(strategy) !== "lowest-price") {
    ctx.issues.error("allocation-strategy", strategy, `${strategy.where}: on-demand capacity (CapacityType ONDEMAND, the default) only takes lowest-price; got "${str(strategy)}"`);
  } else if (capacity === "CAPACITY_BLOCK") {
    ctx.issues.error("allocation-strategy", strategy, `${strategy.where}: not set with CapacityType CAPACITY_BLOCK`, "key");
  }
}

export function checkScheduling(ctx: RuleContext): void {
  const scheduling = ctx.root.get("Scheduling");
  if (!need(ctx, scheduling, "map")) return;
  const scheduler = scheduling.get("Scheduler");
  if (need(ctx, scheduler, "string") && str(scheduler) !== "slurm") {
    ctx.issues.error("pwb-scheduler", scheduler, `${scheduler.where}: Workbench's launcher and login nodes need "slurm"; got "${str(scheduler)}"`);
    return;
  }

  const settings = scheduling.get("SlurmSettings");
  if (check(ctx, settings, "map")) {
    const idle = settings.get("ScaledownIdletime");
    if (idle.exists) intIn(ctx, idle, -1, Number.MAX_SAFE_INTEGER, "ScaledownIdletime");
    const strategy = settings.get("QueueUpdateStrategy");
    if (strategy.exists) oneOf(ctx, strategy, ["DRAIN", "COMPUTE_FLEET_STOP", "TERMINATE"]);
    database(ctx, settings.get("Database"));
    if (settings.get("Database").exists && settings.get("ExternalSlurmdbd").exists) {
      ctx.issues.error("database-exclusive", settings.get("ExternalSlurmdbd"), `${settings.where}: Database and ExternalSlurmdbd cannot be configured together`, "key");
    }
  }

  const queuesView = scheduling.get("SlurmQueues");
  if (!need(ctx, queuesView, "list")) return;
  const queues = mapItems(ctx, queuesView);
  if (queues.length === 0) ctx.issues.error("range", queuesView, `${queuesView.where}: at least one queue is required`);
  if (queues.length > MAX_QUEUES) ctx.issues.error("queue-count", queues[MAX_QUEUES]!, `${queuesView.where}: at most ${MAX_QUEUES} queues (there are ${queues.length})`);

  const queueNames: Array<{ name: string; at: YView }> = [];
  const clusterTotal = queues.reduce((n, q) => n + q.get("ComputeResources").items().length, 0);
  let total = 0;
  for (const queue of queues) {
    const nameView = queue.get("Name");
    const name = need(ctx, nameView, "string") ? checkResourceName(ctx, nameView, "queue") : undefined;
    if (name) queueNames.push({ name, at: nameView });
    const capacity = queue.get("CapacityType");
    if (capacity.exists) oneOf(ctx, capacity, CAPACITY_TYPES);
    allocationStrategy(ctx, queue);

    const crsView = queue.get("ComputeResources");
    if (!need(ctx, crsView, "list")) continue;
    const crs = mapItems(ctx, crsView);
    if (crs.length === 0) ctx.issues.error("range", crsView, `${crsView.where}: at least one compute resource is required`);
    if (crs.length > MAX_COMPUTE_RESOURCES) {
      ctx.issues.error("compute-resource-count", crs[MAX_COMPUTE_RESOURCES]!, `${crsView.where}: at most ${MAX_COMPUTE_RESOURCES} compute resources per queue (there are ${crs.length})`);
    } else if (total <= MAX_COMPUTE_RESOURCES && total + crs.length > MAX_COMPUTE_RESOURCES) {
      const first = crs[MAX_COMPUTE_RESOURCES - total]!;
      ctx.issues.error("compute-resource-count", first, `${first.where}: the ${MAX_COMPUTE_RESOURCES + 1}st compute resource of the cluster: at most ${MAX_COMPUTE_RESOURCES} in all queues together (there are ${clusterTotal})`);
    }
    total += crs.length;
    const crNames: Array<{ name: string; at: YView }> = [];
    for (const cr of crs) {
      const crName = computeResource(ctx, cr, str(capacity));
      if (crName) crNames.push({ name: crName, at: cr.get("Name") });
    }
    checkUnique(ctx, crNames, "compute resource");
  }
  checkUnique(ctx, queueNames, "queue");
}
