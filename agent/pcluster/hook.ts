/**
 * The custom-action hook: a few lines of bash, uploaded next to the site file, that ParallelCluster
 * runs as OnNodeConfigured on every node (as root, with the cluster config's Args). All it does is
 * exec the agent baked into the AMI; the agent works out the node's role itself.
 */
export const HOOK_SCRIPT_NAME = "pwb-agent-hook.sh";

/** Any script named pwb-agent*.sh counts as the agent's hook (a site may version its file names). */
export function isAgentHook(url: string): boolean {
  const base = url.replace(/[?#].*$/, "").split("/").pop() ?? "";
  return /^pwb-agent[\w.-]*\.sh$/.test(base);
}

/**
 * The hook's text. Args from the cluster config are passed through (`--site s3://… apply` from
 * `cluster-config render`); with none it runs `apply`. A missing agent is a broken AMI: fail the
 * bootstrap loudly rather than boot a node that never converges.
 */
export function renderHookScript(agentPath = "/usr/bin/pwb-agent"): string {
  return `#!/bin/bash
# pwb-agent hook for AWS ParallelCluster custom actions (OnNodeConfigured on head, compute and login
# nodes). Rendered by \`pwb-agent cluster-config render\`; runs as root with the cluster config's Args.
# It only starts the agent baked into the AMI, which detects the node's role and converges it.
set -euo pipefail

agent=${agentPath}
if [ ! -x "$agent" ]; then
  echo "pwb-agent-hook: $agent is missing: build the AMI with the pwb-agent package (pwb-agent bake)" >&2
  exit 1
fi
if [ "$#" -eq 0 ]; then
  set -- apply
fi
exec "$agent" "$@"
`;
}
