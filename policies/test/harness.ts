import { checkInventory, type Inventory } from "../offline/index.ts";
import type { Case } from "./cases.ts";

/** Run one rule over a case's resources (and its context) through the offline engine (the registered policy objects). */
export async function runCase(c: Case) {
  const inv: Inventory = {
    project: "llmops",
    stack: "prod",
    config: { environment: "prod" },
    resources: [...c.resources, ...c.context],
  };
  const config = c.options ? { [c.rule]: c.options } : undefined;
  const report = await checkInventory(inv, { env: "prod", only: [c.rule], ...(config ? { config } : {}) });
  return report.violations.filter((v) => v.policy === c.rule);
}
