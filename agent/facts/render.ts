import type { Facts } from "./types.js";

/** The facts as `detect` shows them to a person: one aligned row per fact. */
export function renderFacts(f: Facts): string {
  const gpu = f.gpu
    ? `nvidia ×${f.gpu.count}${f.gpu.model ? ` (${f.gpu.model})` : ""}${f.gpu.driverVersion ? `, driver ${f.gpu.driverVersion}` : ""} [${f.gpu.evidence.join(", ")}]`
    : "none";
  const rows: Array<[string, string]> = [
    ["role", `${f.role} (from ${f.roleSource})`],
    ["cluster", f.cluster.name ?? "-"],
    ["region", f.cluster.region ?? f.instance.region ?? "-"],
    ["queue", f.cluster.queue ?? "-"],
    ["login pool", f.cluster.pool ?? "-"],
    ["instance", `${f.instance.id ?? "-"} ${f.instance.type ?? ""} ${f.instance.availabilityZone ?? ""} (${f.instance.source})`.replace(/\s+/g, " ")],
    ["os", f.os.testNode
      ? `${f.os.prettyName} (package rules of ${f.os.id} ${f.os.version}; NOT SUPPORTED: for the agent's own tests)`
      : `${f.os.id} ${f.os.version} (${f.os.family ?? "unknown family"}${f.os.supported ? "" : ", NOT SUPPORTED"})`],
    ["cpus", f.cpus === null ? "-" : String(f.cpus)],
    ["memory", f.memoryMiB === null ? "-" : `${f.memoryMiB} MiB`],
    ["gpu", gpu],
    ["read", f.sources.join(", ") || "-"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
}
