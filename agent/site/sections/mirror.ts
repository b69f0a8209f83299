import { strictObject } from "zod";
import { mirrorUrl } from "../fields.js";

/*
 * mirror: — where `pwb-agent bake` fetches R, Python, Quarto, Workbench, Apptainer, SPANK and CUDA
 * artifacts instead of their official sites. Absent: the official sites.
 *
 *   mirror:
 *     url: s3://pwb-artifacts-example/mirror   # or https://…; artifact paths are appended (<url>/r/…)
 */
export const mirrorSection = strictObject({ url: mirrorUrl });


/** A mirror base URL as the components use it: no trailing slash. */
export function mirrorBase(url: string): string {
  return url.replace(/\/+$/, "");
}
