/**
 * Where the platform's pods run. Node pools carry POOL_ROLE_LABEL (system | workload); when the stack
 * has a system pool, every controller the platform installs is pinned to it with a nodeSelector, so
 * the services' pools only run the services and a surge of service pods never starves an operator.
 * A stack with workload pools only (dev) leaves controllers unpinned.
 */
import { POOL_ROLE_LABEL } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";

export type PoolRole = StackConfig["nodePools"][number]["role"];

/** The nodeSelector of a pool role, or none when the stack has no pool of that role. */
export function poolSelector(config: StackConfig, role: PoolRole): Record<string, string> | undefined {
  return config.nodePools.some((p) => p.role === role) ? { [POOL_ROLE_LABEL]: role } : undefined;
}

/** `{ nodeSelector }` for a controller's values (empty when there is no system pool). */
export function onSystemNodes(config: StackConfig): { nodeSelector?: Record<string, string> } {
  const nodeSelector = poolSelector(config, "system");
  return nodeSelector ? { nodeSelector } : {};
}
