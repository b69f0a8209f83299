import { array, number, strictObject, type output } from "zod";
import { expected, name, singleLine } from "../fields.js";

/*
 * profiles: — the resource profiles (resources.conf) offered in the launch dialog. Absent: a quarter,
 * half and whole of the smallest node each launcher cluster offers (agent/components/workbench/head/profiles.ts).
 *
 *   profiles:
 *     - id: small
 *       label: "Small (1 CPU, 4 GiB)"   # default: "<id> (<cpus> CPU, <memory> GiB)"
 *       cpus: 1
 *       memoryMiB: 4096
 */
const profileSchema = strictObject({
  id: name("a profile id of letters, digits, '-' or '_'", /^[A-Za-z0-9][A-Za-z0-9_-]*$/, 40),
  label: singleLine("a label").refine((s) => !s.includes('"'), expected("a label without double quotes")).optional(),
  cpus: number(expected("a number of CPUs")).int(expected("a whole number of CPUs")).min(1, expected("at least 1 CPU")),
  memoryMiB: number(expected("memory in MiB")).int(expected("a whole number of MiB")).min(128, expected("at least 128 MiB")),
}).transform((r) => ({ id: r.id, label: r.label ?? `${r.id} (${r.cpus} CPU, ${formatGiB(r.memoryMiB)})`, cpus: r.cpus, memoryMiB: r.memoryMiB }));

export const profilesSection = array(profileSchema, expected("a list of resource profiles"))
  .min(1, expected("at least one profile"))
  .superRefine((profiles, ctx) => {
    const ids = new Set<string>();
    profiles.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `expected a unique profile id; "${p.id}" is listed twice` });
      ids.add(p.id);
    });
  });

export type ResourceProfile = output<typeof profilesSection>[number];

export function formatGiB(mib: number): string {
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}
