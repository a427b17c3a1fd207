/**
 * Reading a planned cloud layer: secret-wrapped inputs, resources by type, the kubeconfig the
 * kubernetes Provider received. Shared by the three cloud-*.test.ts specifications.
 */
import { expect } from "vitest";
import { parse } from "yaml";
import type { InventoryResource } from "../../infra/offline/inventory.ts";
import type { Plan } from "../helpers/plan.ts";

/** Pulumi's wire marker for a secret value: inputs carrying it are encrypted in state. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** The plain value inside a secret wrapper (or the value itself). */
export function reveal<T = any>(value: unknown): T {
  return (isSecret(value) ? (value as { value: unknown }).value : value) as T;
}

/** Resources of one cloud package (aws:, gcp:, azure-native:), providers excluded. */
export function cloudResources(plan: Plan, pkg: string): InventoryResource[] {
  return plan.inventory.resources.filter((r) => r.type.startsWith(`${pkg}:`));
}

/** The kubernetes Provider of the cloud layer and its parsed kubeconfig. */
export function kubernetesProvider(plan: Plan) {
  const provider = plan.one("pulumi:providers:kubernetes");
  expect(isSecret(provider.inputs.kubeconfig), "kubeconfig must be a secret").toBe(true);
  const kubeconfig = parse(reveal<string>(provider.inputs.kubeconfig));
  return { provider, kubeconfig, user: kubeconfig.users[0].user, cluster: kubeconfig.clusters[0].cluster };
}

/** The plan's stack config with commonTags as the layer computes them. */
export function commonTags(plan: Plan, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    project: plan.inventory.project,
    environment: String(plan.inventory.config.environment),
    stack: plan.inventory.stack,
  };
}

/** Policy findings (SARIF results) on the cloud layer's resources: rule, enforcement and resource name. */
export function cloudFindings(plan: Plan): { rule: string; enforcement: string; resource: string }[] {
  return plan.sarif.runs
    .flatMap((run: any) => run.results)
    .filter((r: any) => String(r.properties?.urn ?? "").includes("llmops:cloud:"))
    .map((r: any) => ({
      rule: r.ruleId,
      enforcement: r.properties.enforcementLevel,
      resource: r.locations[0].logicalLocations[0].name,
    }));
}
