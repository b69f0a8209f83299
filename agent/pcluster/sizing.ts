/**
 * Posit's tested sizing for Workbench on ParallelCluster (reference architecture): 500 concurrent
 * sessions on 2 login nodes, 1000 on 4, 2000 and more (5000 tested) on 6. Between tested points we
 * take the next tier up: 501–1000 → 4, anything above 1000 → 6. Never fewer than 2 (load balancing).
 */
export function loginNodesFor(sessions: number): number {
  if (sessions <= 500) return 2;
  if (sessions <= 1000) return 4;
  return 6;
}

/**
 * Cluster tag `cluster-config render` writes with the expected concurrent sessions, so `validate`
 * can check login sizing on the rendered file without being told again.
 */
export const SESSIONS_TAG = "pwb-agent:concurrent-sessions";
