/**
 * Runs the CrossGuard pack (policies/) over the plan's inventory through its offline engine:
 * the same policy objects `pulumi preview --policy-pack policies` loads.
 */
import { checkInventory, type PolicyReport, toSarif } from "@llmops/policies/offline";
import type { Inventory } from "./inventory.ts";

export interface PolicyOutcome extends Omit<PolicyReport, "env"> {
  sarif: object;
}

export async function evaluatePolicies(inventory: Inventory, env: "dev" | "prod"): Promise<PolicyOutcome> {
  const report = await checkInventory(inventory, { env });
  return {
    rulesEvaluated: report.rulesEvaluated,
    violations: report.violations,
    mandatory: report.mandatory,
    advisory: report.advisory,
    sarif: toSarif(report, { artifactUri: `Pulumi.${inventory.stack}.yaml` }),
  };
}
