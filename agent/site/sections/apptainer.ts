import { boolean, enum as oneOf, record, strictObject, string, type output } from "zod";
import { expected, fileName, sha256Hex } from "../fields.js";

/*
 * apptainer: — the container runtime sessions run in (head, login and compute nodes).
 *
 *   apptainer:
 *     version: 1.4.5                 # pinned; "release" packages are verified against sha256 below
 *     source: release                # release (default) | epel (EL 8/9 only: version = EPEL's, e.g. 1.4.5-1.el9)
 *     suid: false                    # also install apptainer-suid (kernel squashfs mounts, shared loop devices)
 *     sha256:                        # one entry per package file the cluster's OS uses
 *       apptainer-1.4.5-1.x86_64.rpm: 5c0f…
 *       apptainer_1.4.5_amd64.deb: 9e41…
 *
 * Release packages come from github.com/apptainer/apptainer/releases, or from `<mirror.url>/apptainer/`
 * when the site has an artifact mirror. EPEL keeps only its newest build, so a pinned EPEL version
 * stops installing the day EPEL moves on: `release` is the default for that reason.
 */
const RELEASE_VERSION = /^\d+\.\d+\.\d+$/;
const EPEL_VERSION = /^\d+\.\d+\.\d+-[0-9A-Za-z._]+$/;

export const apptainerSection = strictObject({
  version: string(expected("an Apptainer version like 1.4.5")).regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z._]+)?$/, expected("an Apptainer version like 1.4.5 (or EPEL's 1.4.5-1.el9)")),
  source: oneOf(["release", "epel"], expected('"release" or "epel"')).default("release"),
  suid: boolean(expected("true or false")).default(false),
  sha256: record(fileName, sha256Hex).default({}),
}).superRefine((a, ctx) => {
  if (a.source === "release" && !RELEASE_VERSION.test(a.version)) {
    ctx.addIssue({ code: "custom", path: ["version"], message: `expected a release version like 1.4.5 with source: release (got "${a.version}")` });
  }
  if (a.source === "epel" && !EPEL_VERSION.test(a.version)) {
    ctx.addIssue({ code: "custom", path: ["version"], message: `expected EPEL's version-release like 1.4.5-1.el9 with source: epel (what \`rpm -q apptainer\` prints after the name)` });
  }
});

/** `sha256`: release package file name → sha256 (lower case). */
export type ApptainerSite = output<typeof apptainerSection>;
