import { BadInputError } from "../../errors.js";
import type { OsFacts } from "../../facts/types.js";

/** How a node gets its packages: which package format, and whether EPEL serves its dependencies. */
export interface PackagePlatform {
  format: "rpm" | "deb";
  /** Enterprise Linux 8/9 (RHEL, Rocky, Alma): EPEL carries apptainer and its `fakeroot` dependency. */
  el: { major: number; rhel: boolean } | null;
}

export function packagePlatform(os: OsFacts): PackagePlatform {
  if (os.family === "debian") return { format: "deb", el: null };
  if (os.family === "rhel") {
    if (os.id === "amzn") return { format: "rpm", el: null }; // Amazon Linux 2023: no EPEL
    if (os.major === 8 || os.major === 9) return { format: "rpm", el: { major: os.major, rhel: os.id === "rhel" } };
  }
  throw new BadInputError(`apptainer: no package plan for ${os.prettyName ?? `${os.id} ${os.version}`} (supported: RHEL/Rocky/Alma 8-9, Amazon Linux 2023, Ubuntu 22.04/24.04)`);
}
