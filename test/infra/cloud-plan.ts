/**
 * Reading a planned cloud layer: secret-wrapped inputs, resources by type, the kubeconfig the
 * kubernetes Provider received. Shared by the three cloud-*.test.ts specifications.
 */
import { expect } from "vitest";
import { type InventoryResource, REDACTED } from "../../infra/offline/inventory.ts";
import type { Plan } from "../helpers/plan.ts";

/**
 * The plan writes any value the program marked secret as this marker: what the engine would store
 * encrypted never reaches resources.json. Its contents are checked in-process (cloud-outputs.test.ts).
 */
export const SECRET = REDACTED;

export function isSecret(value: unknown): boolean {
  return value === SECRET;
}

/** Resources of one cloud package (aws:, gcp:, azure-native:), providers excluded. */
export function cloudResources(plan: Plan, pkg: string): InventoryResource[] {
  return plan.inventory.resources.filter((r) => r.type.startsWith(`${pkg}:`));
}

/** The kubernetes Provider of the cloud layer; its kubeconfig must arrive as a secret. */
export function kubernetesProvider(plan: Plan) {
  const provider = plan.one("pulumi:providers:kubernetes");
  expect(isSecret(provider.inputs.kubeconfig), "kubeconfig must be a secret").toBe(true);
  return provider;
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
