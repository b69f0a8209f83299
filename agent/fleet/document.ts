/**
 * The SSM Command document fleet runs send (packaging/ssm/pwb-agent-command.json, created in the
 * account once: `aws ssm create-document --name pwb-agent-command --document-type Command
 * --document-format JSON --content file://packaging/ssm/pwb-agent-command.json`).
 * Names here must match that file; test/integration/fleet-ssm-document.test.ts checks they do.
 */
export const DEFAULT_DOCUMENT_NAME = "pwb-agent-command";

/** The document's `subcommand` parameter's allowedValues, in its order. */
export const FLEET_SUBCOMMANDS = ["detect", "plan", "apply", "doctor"] as const;
export type FleetSubcommand = (typeof FLEET_SUBCOMMANDS)[number];

/** The document's parameters, as SendCommand's `Parameters` map wants them (every value a list). */
export function documentParameters(subcommand: FleetSubcommand, o: { json: boolean; timeoutSeconds: number }): Record<string, string[]> {
  return {
    subcommand: [subcommand],
    output: [o.json ? "json" : "text"],
    executionTimeout: [String(o.timeoutSeconds)],
  };
}
