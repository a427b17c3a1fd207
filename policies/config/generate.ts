/**
 * Writes config/dev.json and config/prod.json (the --policy-pack-config files) from the rule list:
 * security baseline mandatory everywhere, reliability mandatory in prod and advisory in dev, and every
 * rule option spelled out with the platform's values. Run: npx tsx policies/config/generate.ts
 * and `npx prettier --write policies/config` (a test checks the committed files hold what this writes,
 * so edit OPTIONS here, not the JSON).
 */
import { writeFileSync } from "node:fs";
import { KUBE_SYSTEM, NS } from "../../infra/names.ts";
import { rules } from "../rules/index.ts";

/** Every namespace the platform creates except the services' own (the neutral names module lists them). */
const PLATFORM_NAMESPACES = Object.values(NS)
  .filter((ns) => ns !== NS.apps)
  .sort();

/** Option values that differ from the rule defaults (same in both environments unless keyed by env). */
export const OPTIONS: Record<string, Record<string, unknown>> = {
  // The registry the stacks publish to (Pulumi.<stack>.yaml imageRegistry); Helm-managed platform images are
  // not in the inventory and Gatekeeper only enforces in the app namespaces.
  "k8s-image-provenance": { allowedRegistries: ["ghcr.io/acme/llmops"], requireDigest: false },
  "k8s-namespace-pod-security": {
    // Platform charts that cannot all meet restricted; each reason is stated in infra/platform/namespaces.ts.
    baselineNamespaces: PLATFORM_NAMESPACES,
    // Host agents (node-exporter, CSI/CNI daemons) live in the cloud-managed kube-system only.
    privilegedNamespaces: [KUBE_SYSTEM],
  },
  "k8s-default-deny": { exemptNamespaces: [KUBE_SYSTEM, "kube-public", "kube-node-lease"] },
};

export function packConfig(env: "dev" | "prod"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rules) {
    const enforcementLevel = r.category === "security" || env === "prod" ? "mandatory" : "advisory";
    out[r.id] = { enforcementLevel, ...r.defaults, ...(OPTIONS[r.id] ?? {}) };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const env of ["dev", "prod"] as const)
    writeFileSync(new URL(`./${env}.json`, import.meta.url), `${JSON.stringify(packConfig(env), null, 2)}\n`);
}
