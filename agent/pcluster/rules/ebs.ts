import { str, type RuleContext } from "../context.js";
import type { YView } from "../yaml-view.js";

/**
 * EBS volume limits ParallelCluster checks before it creates anything (ebs_validators.py, the same
 * bounds from 3.8 through the 3.12 source): size per volume type, IOPS per type and per GiB, gp3
 * throughput and its ratio to IOPS. They apply to shared EBS volumes and to root volumes; a root
 * volume without Size takes the AMI's size (an AWS call), so its size checks need Size written.
 */
const SIZE_GIB: Record<string, readonly [number, number]> = {
  standard: [1, 1024],
  io1: [4, 16 * 1024],
  io2: [4, 64 * 1024],
  gp2: [1, 16 * 1024],
  gp3: [1, 16 * 1024],
  st1: [500, 16 * 1024],
  sc1: [500, 16 * 1024],
};
/** Types with provisioned IOPS: bounds, the most IOPS per GiB, and what ParallelCluster assumes when Iops is absent. */
const IOPS: Record<string, { min: number; max: number; perGib: number; default: number }> = {
  io1: { min: 100, max: 64000, perGib: 50, default: 100 },
  io2: { min: 100, max: 256000, perGib: 1000, default: 100 },
  gp3: { min: 3000, max: 16000, perGib: 500, default: 3000 },
};
const GP3_THROUGHPUT = { min: 125, max: 1000, default: 125, perIops: 0.25 };
/** constants.py EBS_VOLUME_TYPE_DEFAULT and EBS_VOLUME_SIZE_DEFAULT (a shared volume without Size). */
const DEFAULT_TYPE = "gp3";
const DEFAULT_SHARED_SIZE_GIB = 40;

/** A number the schema took as an integer (marshmallow Int), else undefined (the type rule reports it). */
const int = (v: YView) => (v.exists ? v.integer() : undefined);

function volume(ctx: RuleContext, settings: YView, sizeDefault: number | undefined): void {
  if (!settings.isMap) return;
  const typeView = settings.get("VolumeType");
  const type = typeView.exists ? str(typeView) : DEFAULT_TYPE;
  if (type === undefined || !(type in SIZE_GIB)) return; // `format` reports an unknown type
  const sizeView = settings.get("Size");
  const size = sizeView.exists ? int(sizeView) : sizeDefault;
  const at = (v: YView) => (v.exists ? v : settings);

  const [minSize, maxSize] = SIZE_GIB[type]!;
  if (size !== undefined && (size < minSize || size > maxSize)) {
    const what = sizeView.exists ? `${size} GiB` : `the default ${size} GiB (no Size given)`;
    ctx.issues.error("ebs-volume-size", at(sizeView), `${settings.where}: ${type} volumes are ${minSize} to ${maxSize} GiB; got ${what}`, sizeView.exists ? "value" : "key");
  }

  const iopsView = settings.get("Iops");
  const iops = int(iopsView);
  const limits = IOPS[type];
  if (!limits) {
    // marshmallow gives 0 as falsy to the validator: only a non-zero Iops is refused.
    if (iops) ctx.issues.error("ebs-volume-iops", iopsView, `${iopsView.where}: ${type} volumes have no provisioned IOPS (Iops applies to io1, io2 and gp3)`, "key");
  } else if (iops) {
    if (iops < limits.min || iops > limits.max) {
      ctx.issues.error("ebs-volume-iops", iopsView, `${iopsView.where}: ${type} volumes take ${limits.min} to ${limits.max} IOPS; got ${iops}`);
    } else if (size !== undefined && size > 0 && iops > size * limits.perGib) {
      ctx.issues.error("ebs-volume-iops", iopsView, `${iopsView.where}: at most ${limits.perGib} IOPS per GiB for ${type}: ${size} GiB allows ${size * limits.perGib}; got ${iops}`);
    }
  }

  if (type !== "gp3") return;
  const tpView = settings.get("Throughput");
  const throughput = tpView.exists ? int(tpView) : GP3_THROUGHPUT.default;
  if (throughput === undefined) return;
  const effectiveIops = iops ?? IOPS.gp3!.default;
  if (throughput < GP3_THROUGHPUT.min || throughput > GP3_THROUGHPUT.max) {
    ctx.issues.error("ebs-volume-throughput", tpView, `${tpView.where}: gp3 throughput is ${GP3_THROUGHPUT.min} to ${GP3_THROUGHPUT.max} MiB/s; got ${throughput}`);
  } else if (throughput && effectiveIops && throughput > effectiveIops * GP3_THROUGHPUT.perIops) {
    const iopsWhat = iops ? `${iops} IOPS` : `the default ${effectiveIops} IOPS`;
    ctx.issues.error(
      "ebs-volume-throughput",
      at(tpView),
      `${settings.where}: gp3 throughput is at most a quarter of the IOPS (MiB/s per IOPS): ${iopsWhat} allow ${Math.floor(effectiveIops * GP3_THROUGHPUT.perIops)} MiB/s; got ${throughput}`,
    );
  }
}

/** Shared EBS volumes and the head node's and each queue's root volume. */
export function checkEbsVolumes(ctx: RuleContext): void {
  for (const item of ctx.root.get("SharedStorage").items()) {
    if (str(item.get("StorageType")) === "Ebs") volume(ctx, item.get("EbsSettings"), DEFAULT_SHARED_SIZE_GIB);
  }
  volume(ctx, ctx.root.dig("HeadNode", "LocalStorage", "RootVolume"), undefined);
  for (const queue of ctx.root.dig("Scheduling", "SlurmQueues").items()) {
    volume(ctx, queue.dig("ComputeSettings", "LocalStorage", "RootVolume"), undefined);
  }
}
