/**
 * Runs the CrossGuard pack (policies/) over the plan's inventory through its offline engine:
 * the same policy objects `pulumi preview --policy-pack policies` loads.
 */
import type { Inventory } from "./inventory.ts";

export interface PolicyViolation {
  policy: string;
  severity: string;
  enforcementLevel: "mandatory" | "advisory";
  checklist: string;
  urn?: string;
  type?: string;
  name?: string;
  message: string;
  remediation: string;
}

export interface PolicyOutcome {
  rulesEvaluated: number;
  violations: PolicyViolation[];
  mandatory: number;
  advisory: number;
  sarif: object;
}

export async function evaluatePolicies(inventory: Inventory, env: "dev" | "prod"): Promise<PolicyOutcome> {
  const engine = await import("@llmops/policies/offline");
  const report = await engine.checkInventory(inventory, { env });
  return {
    rulesEvaluated: report.rulesEvaluated,
    violations: report.violations,
    mandatory: report.mandatory,
    advisory: report.advisory,
    sarif: engine.toSarif(report),
  };
}
