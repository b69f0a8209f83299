#!/bin/bash
# pwb-agent hook for AWS ParallelCluster custom actions (OnNodeConfigured on head, compute and login
# nodes). Rendered by `pwb-agent cluster-config render`; runs as root with the cluster config's Args.
# It only starts the agent baked into the AMI, which detects the node's role and converges it.
set -euo pipefail

agent=/usr/bin/pwb-agent
if [ ! -x "$agent" ]; then
  echo "pwb-agent-hook: $agent is missing: build the AMI with the pwb-agent package (pwb-agent bake)" >&2
  exit 1
fi
if [ "$#" -eq 0 ]; then
  set -- apply
fi
exec "$agent" "$@"
