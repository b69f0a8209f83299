// The modules mutation testing covers: the source files mutated, and the test files that cover
// them (run in process, so a mutant reaches them; tests that spawn the built CLI cannot see one).
// `later: true` marks modules that are in the table but not run by `npm run mutation` without a name.
export const MODULES = {
  "alb-sync": {
    mutate: ["agent/alb/sync/reconcile.ts", "agent/alb/sync/reads.ts", "agent/alb/sync/changes.ts"],
    tests: ["test/unit/alb-reconcile.test.ts", "test/unit/alb-support.test.ts", "test/integration/alb-sync.test.ts", "test/integration/alb-sync-faults.test.ts"],
  },
  log: {
    mutate: ["agent/log.ts"],
    tests: ["test/unit/log.test.ts", "test/unit/log-redaction.test.ts", "test/unit/workbench-keys.test.ts"],
  },
  secrets: {
    mutate: ["agent/secrets/*.ts"],
    tests: ["test/unit/workbench-keys.test.ts", "test/unit/secret-file-modes.test.ts", "test/unit/secrets-edges.test.ts", "test/integration/secrets-ssm.test.ts", "test/integration/secrets-ssm-edges.test.ts"],
  },
  doctor: {
    mutate: ["agent/node/doctor/agent-state.ts", "agent/doctor/checks.ts", "agent/doctor/report.ts"],
    tests: ["test/unit/doctor-checks.test.ts", "test/unit/doctor-thresholds.test.ts", "test/unit/doctor-verdicts.test.ts", "test/unit/engine-owed.test.ts"],
  },
  nodefs: { later: true, mutate: ["agent/nodefs/*.ts"], tests: ["test/unit/engine-files.test.ts", "test/integration/hostile-files.test.ts"] },
  "engine-apply-lock": { later: true, mutate: ["agent/engine/apply.ts", "agent/engine/lock.ts"], tests: ["test/unit/engine*.test.ts", "test/integration/lock.test.ts"] },
  "site-fields": { later: true, mutate: ["agent/site/fields.ts", "agent/site/limits.ts", "agent/site/schema.ts"], tests: ["test/unit/site*.test.ts"] },
  "cluster-config-rules": { later: true, mutate: ["agent/pcluster/rules/*.ts"], tests: ["test/unit/pcluster*.test.ts"] },
};
