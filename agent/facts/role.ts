import { BadInputError } from "../errors.js";
import type { Logger } from "../log.js";
import { factValue, type FactField } from "./fields.js";
import type { NodeReader } from "./reader.js";
import { parseShellVars, shellString } from "./shellvars.js";
import { ROLES, type ClusterFacts, type Facts, type Role } from "./types.js";

export const DNA_JSON = "/etc/chef/dna.json";
export const CFNCONFIG = "/etc/parallelcluster/cfnconfig";
/** A real dna.json is tens of kilobytes, cfnconfig a few. */
const MAX_DNA_BYTES = 4 * 1024 * 1024;
const MAX_CFNCONFIG_BYTES = 1024 * 1024;

/** ParallelCluster's node_type values (dna.json and cfnconfig; the EC2 tag says "Compute" instead). */
const NODE_TYPES: Record<string, Role> = { HeadNode: "head", LoginNode: "login", ComputeFleet: "compute" };
const EXPECTED = Object.keys(NODE_TYPES).join(", ");

/** What one fact file says; null where it says nothing. */
interface FileFacts extends ClusterFacts {
  nodeType: string | null;
}

export interface RoleFacts {
  role: Role;
  roleSource: Facts["roleSource"];
  cluster: ClusterFacts;
}

/**
 * Role and cluster facts from /etc/chef/dna.json (authoritative), then /etc/parallelcluster/cfnconfig
 * (internal and may go away, so only a fallback), field by field. /tmp/dna.json is never read: it is
 * a bootstrap leftover that moved in 3.16.
 */
export async function readRoleFacts(reader: NodeReader, log: Logger, roleOverride?: Role, overrideIsDefault = false): Promise<RoleFacts> {
  const [dna, cfn] = await Promise.all([readDna(reader), readCfnconfig(reader)]);
  const pick = <K extends keyof ClusterFacts>(k: K): ClusterFacts[K] => dna?.[k] ?? cfn?.[k] ?? null;
  const cluster: ClusterFacts = {
    name: pick("name"),
    region: pick("region"),
    queue: pick("queue"),
    pool: pick("pool"),
    headNodeIp: pick("headNodeIp"),
    scheduler: pick("scheduler"),
    sharedStorageType: pick("sharedStorageType"),
  };

  const fileRole = (file: string, field: string, value: string | null | undefined): Role | null => {
    if (value === null || value === undefined) return null;
    const role = NODE_TYPES[value];
    if (role) return role;
    const msg = `${file}: ${field} is "${value}"; expected one of ${EXPECTED}`;
    if (roleOverride) {
      log.warn({ file, field, value }, overrideIsDefault ? "unknown node type ignored" : "unknown node type ignored: --role given");
      return null;
    }
    throw new BadInputError(`${msg}. Pass --role ${ROLES.join("|")} to override.`, { file, field, value });
  };
  const dnaRole = fileRole(DNA_JSON, "cluster.node_type", dna?.nodeType);
  const cfnRole = dnaRole ? null : fileRole(CFNCONFIG, "cfn_node_type", cfn?.nodeType);

  if (roleOverride) {
    const detected = dnaRole ?? cfnRole;
    if (detected && detected !== roleOverride && !overrideIsDefault) log.info({ detected, role: roleOverride }, "--role overrides the detected role");
    return { role: roleOverride, roleSource: "override", cluster };
  }
  if (dnaRole) return { role: dnaRole, roleSource: "dna.json", cluster };
  if (cfnRole) return { role: cfnRole, roleSource: "cfnconfig", cluster };
  throw noRoleError(reader, dna !== null, cfn !== null);
}

function noRoleError(reader: NodeReader, dnaRead: boolean, cfnRead: boolean): BadInputError {
  const look = (file: string, read: boolean, field: string) => {
    const r = reader.result(file);
    return `${file} (${read ? `read, no ${field}` : r === "missing" || r === undefined ? "not found" : r})`;
  };
  const files = [look(DNA_JSON, dnaRead, "cluster.node_type"), look(CFNCONFIG, cfnRead, "cfn_node_type")];
  const where = reader.root.live ? "" : ` under root ${reader.root.dir}`;
  return new BadInputError(
    `cannot tell this node's role: looked for ${files.join(" and ")}${where}. ` +
      `Not a ParallelCluster node, or not bootstrapped yet? Pass --role ${ROLES.join("|")} to override.`,
    { files: [DNA_JSON, CFNCONFIG] },
  );
}

async function readDna(reader: NodeReader): Promise<FileFacts | null> {
  const text = await reader.text(DNA_JSON, { input: true, maxBytes: MAX_DNA_BYTES });
  if (text === null) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`${DNA_JSON}: not valid JSON (${(e as Error).message})`, { file: DNA_JSON });
  }
  if (!isRecord(doc)) throw new BadInputError(`${DNA_JSON}: expected a JSON object at the top`, { file: DNA_JSON });
  if (doc.cluster !== undefined && !isRecord(doc.cluster)) throw new BadInputError(`${DNA_JSON}: cluster: expected an object`, { file: DNA_JSON, field: "cluster" });
  const c = doc.cluster ?? {};
  const field = (key: string, kind: FactField) => factValue(DNA_JSON, `cluster.${key}`, kind, c[key]);
  if (c.node_type !== undefined && c.node_type !== null && typeof c.node_type !== "string") {
    throw new BadInputError(`${DNA_JSON}: cluster.node_type: expected a string`, { file: DNA_JSON, field: "cluster.node_type" });
  }
  const storage = typeof c.shared_storage_type === "string" ? c.shared_storage_type.toLowerCase() : c.shared_storage_type;
  return {
    nodeType: str(c.node_type),
    name: field("cluster_name", "name") ?? field("stack_name", "name"),
    region: field("region", "region"),
    queue: field("scheduler_queue_name", "queue"),
    pool: field("pool_name", "pool"),
    headNodeIp: field("head_node_private_ip", "headNodeIp"),
    scheduler: field("scheduler", "scheduler"),
    sharedStorageType: factValue(DNA_JSON, "cluster.shared_storage_type", "sharedStorageType", storage),
  };
}

async function readCfnconfig(reader: NodeReader): Promise<FileFacts | null> {
  const text = await reader.text(CFNCONFIG, { input: true, maxBytes: MAX_CFNCONFIG_BYTES });
  if (text === null) return null;
  const vars = parseShellVars(text);
  const get = (k: string, kind: FactField) => factValue(CFNCONFIG, k, kind, shellString(vars, k));
  return {
    nodeType: str(shellString(vars, "cfn_node_type")),
    name: get("stack_name", "name"),
    region: get("cfn_region", "region"),
    queue: get("cfn_scheduler_queue_name", "queue"),
    // Login nodes get neither pool name nor head-node IP in cfnconfig: ParallelCluster's cookbook writes
    // those keys for compute nodes only (aws-parallelcluster-cookbook, templates/init/cfnconfig.erb).
    pool: null,
    headNodeIp: get("cfn_head_node_private_ip", "headNodeIp"),
    scheduler: get("cfn_scheduler", "scheduler"),
    sharedStorageType: null,
  };
}

/** ParallelCluster writes "NONE" or "" for unset values. */
function str(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const s = v.trim();
  return s === "" || s === "NONE" ? null : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
