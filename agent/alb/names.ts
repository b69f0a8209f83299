import { createHash } from "node:crypto";
import { elbName } from "../site/fields.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * The name ParallelCluster (3.8+) gives a login pool's NLB target group:
 * `<cluster[:7]>-<pool[:7]>-<sha256(cluster + pool)[:16]>` (`_get_resource_combination_name`).
 */
export function loginPoolTargetGroupName(cluster: string, pool: string): string {
  return `${cluster.slice(0, 7)}-${pool.slice(0, 7)}-${sha256(cluster + pool).slice(0, 16)}`;
}

/** Default name of the Workbench ALB and target group: readable, ≤32 characters, unique per cluster name. */
export function defaultAlbName(cluster: string): string {
  return `pwb-${cluster.slice(0, 19)}-${sha256(`pwb-workbench:${cluster}`).slice(0, 8)}`;
}

export function defaultSecurityGroupName(cluster: string): string {
  return `pwb-alb-${cluster}`;
}

const ELB_NAME = elbName("an ELB name");

/** ELBv2 load balancer and target group names, by the site's own rule (agent/site/fields.ts). */
export function isValidElbName(name: string): boolean {
  return ELB_NAME.safeParse(name).success;
}
