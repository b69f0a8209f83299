import type { InstanceIdentity } from "./imds.js";
import type { NodeReader } from "./reader.js";
import type { InstanceFacts } from "./types.js";

/** Written on compute nodes by ParallelCluster's Slurm recipes (instance id/type, AZ, region). */
export const SLURM_NODE_SPEC = "/etc/parallelcluster/slurm_plugin/slurm_node_spec.json";

/** Identity fields from slurm_node_spec.json; all null where the file is absent or unparsable. */
export async function readNodeSpec(reader: NodeReader): Promise<InstanceIdentity> {
  const none: InstanceIdentity = { instanceId: null, instanceType: null, region: null, availabilityZone: null };
  const text = await reader.text(SLURM_NODE_SPEC);
  if (text === null) return none;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return none; // a fallback source: a broken one is ignored, not fatal
  }
  const d = record(doc);
  const c = record(d.compute);
  return {
    instanceId: str(c["instance-id"]) ?? str(d["instance-id"]),
    instanceType: str(c["instance-type"]),
    region: str(d.region),
    availabilityZone: str(c["availability-zone"]),
  };
}

/** IMDS first (it is the instance speaking), node files field by field after it. */
export function instanceFacts(imds: InstanceIdentity | null, spec: InstanceIdentity): InstanceFacts {
  const f: InstanceFacts = {
    id: imds?.instanceId ?? spec.instanceId,
    type: imds?.instanceType ?? spec.instanceType,
    region: imds?.region ?? spec.region,
    availabilityZone: imds?.availabilityZone ?? spec.availabilityZone,
    source: "none",
  };
  const fromSpec = Object.values(spec).some((v) => v !== null);
  f.source = imds ? "imds" : fromSpec ? "node-files" : "none";
  return f;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The template leaves "" where a value was not known. */
function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}
