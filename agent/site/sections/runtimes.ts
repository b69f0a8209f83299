import { array, strictObject, type output } from "zod";
import { expected, name } from "../fields.js";

/*
 * runtimes: — the R, Python and Quarto versions `pwb-agent bake` installs and Workbench offers. The
 * section may be left out: none.
 *
 *   runtimes:
 *     r: { versions: [] }        # e.g. { versions: [4.4.2, 4.3.3], default: 4.4.2 }; no default: Workbench's choice
 *     python: { versions: [] }
 *     quarto: { versions: [] }
 */
const versionList = (what: string) => {
  const version = name(`a ${what} version like 4.4.2`, /^\d+(\.\d+){1,3}$/, 20);
  return strictObject({ versions: array(version, expected(`a list of ${what} versions`)).default([]), default: version.optional() })
    .prefault({})
    .superRefine((rt, ctx) => {
      if (rt.default !== undefined && !rt.versions.includes(rt.default)) {
        ctx.addIssue({ code: "custom", path: ["default"], message: `expected one of runtimes.${what.toLowerCase()}.versions (${rt.versions.join(", ") || "none listed"})` });
      }
      const seen = new Set<string>();
      rt.versions.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: "custom", path: ["versions", i], message: `expected each version once; ${v} is listed twice` });
        seen.add(v);
      });
    })
    .transform((rt) => ({ versions: rt.versions, default: rt.default ?? null }));
};

export const runtimesSection = strictObject({ r: versionList("R"), python: versionList("Python"), quarto: versionList("Quarto") }).prefault({});

export type RuntimeVersions = output<typeof runtimesSection>["r"];
