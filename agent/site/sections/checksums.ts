import { record, string } from "zod";
import { expected, sha256Hex } from "../fields.js";

/*
 * checksums: — sha256 pins for the artifacts `pwb-agent bake` downloads, keyed by the artifact's
 * mirror path (`<kind>/<platform>/<file>`, as in a mirror's SHA256SUMS). A pin wins over the
 * mirror's manifest; an artifact with neither is refused (exit 2) rather than installed unverified.
 *
 *   checksums:
 *     r/ubuntu-2204/r-4.4.1_1_amd64.deb: "3f5c…"   # 64 hex digits; quote it, or YAML may read a number
 */
export const checksumsSection = record(
  string(expected("an artifact's mirror path like r/ubuntu-2204/r-4.4.1_1_amd64.deb")).regex(/^[A-Za-z0-9][A-Za-z0-9._+\/-]*$/, expected("a relative artifact path")),
  sha256Hex,
  expected("a map of artifact path → sha256"),
);
