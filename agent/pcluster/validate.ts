import type { Rule, RuleContext, ValidateOptions } from "./context.js";
import { Issues, type Issue } from "./issues.js";
import { checkCustomActions } from "./rules/custom-actions.js";
import { checkDirectoryService } from "./rules/directory.js";
import { checkEbsVolumes } from "./rules/ebs.js";
import { checkEncryption } from "./rules/encryption.js";
import { checkFsxLustre } from "./rules/fsx-lustre.js";
import { checkHeadNode } from "./rules/head.js";
import { checkIam } from "./rules/iam.js";
import { checkImage } from "./rules/image.js";
import { checkInstanceTypes } from "./rules/instance-types.js";
import { checkKeys } from "./rules/keys.js";
import { checkLoginNodes } from "./rules/login.js";
import { checkClusterName } from "./rules/names.js";
import { checkNetworking } from "./rules/networking.js";
import { checkScheduling } from "./rules/scheduling.js";
import { checkSlurmSettings } from "./rules/slurm-settings.js";
import { checkSharedStorage, checkWorkbenchStorage } from "./rules/storage.js";
import { checkMultiSubnet } from "./rules/subnets.js";
import { checkTags } from "./rules/tags.js";
import { YView } from "./yaml-view.js";

export interface ValidationResult {
  issues: Issue[];
  errors: number;
  warnings: number;
}

const RULES: Rule[] = [
  checkKeys,
  checkClusterName,
  checkImage,
  checkHeadNode,
  checkNetworking,
  checkIam,
  checkScheduling,
  checkSlurmSettings,
  checkInstanceTypes,
  checkMultiSubnet,
  checkLoginNodes,
  (ctx) => checkWorkbenchStorage(ctx, checkSharedStorage(ctx)),
  checkEbsVolumes,
  checkFsxLustre,
  checkEncryption,
  checkDirectoryService,
  checkTags,
  checkCustomActions,
];

/**
 * Checks a ParallelCluster 3.x cluster configuration (YAML text): ParallelCluster's own rules for
 * the sections this architecture uses, then the architecture's (`pwb-*` rules). Pure: no AWS calls,
 * no files. Every issue carries the line and column of the node it is about.
 */
export function validateClusterConfig(text: string, opts: ValidateOptions): ValidationResult {
  const issues = new Issues(opts.version);
  // As pcluster reads it (PyYAML, YAML 1.1): `Value: yes` is a boolean there, not a string.
  const { root, syntaxErrors } = YView.parse(text, { version: "1.1" });
  for (const e of syntaxErrors) issues.global("error", "yaml", e.message, e.position);
  if (!syntaxErrors.length) {
    if (!root.isMap) {
      issues.error("type", root, "the cluster configuration must be a YAML mapping (Image:, HeadNode:, Scheduling:, …)");
    } else {
      const ctx: RuleContext = { ...opts, root, issues };
      for (const rule of RULES) rule(ctx);
    }
  }
  const list = issues.sorted();
  return { issues: list, errors: list.filter((i) => i.severity === "error").length, warnings: list.filter((i) => i.severity === "warning").length };
}
