/**
 * Renders the single-object Kubernetes rules as Gatekeeper ConstraintTemplates (templates.gatekeeper.sh/v1,
 * engine K8sNativeValidation = CEL) and Constraints. CEL is on by default from Gatekeeper 3.17.0
 * (GATEKEEPER_MIN_VERSION; helm-gatekeeper refuses older releases). Cross-resource rules (PDB/HPA/ServiceMonitor coverage, default-deny
 * per namespace) need the whole stack and stay CrossGuard-only.
 */
import { enforcementOf, policyOptions, resolvePackConfig } from "../offline/index.ts";
import { GATEKEEPER_MIN_VERSION } from "../rules/helm-gatekeeper.ts";
import { rules } from "../rules/index.ts";
import type { Rule } from "../rules/types.ts";

export { GATEKEEPER_MIN_VERSION };
export const CEL_ENGINE = "K8sNativeValidation";
export const TARGET = "admission.k8s.gatekeeper.sh";

export interface RenderOptions {
  env: "dev" | "prod";
  /** Overrides k8s-image-provenance allowedRegistries. */
  allowedRegistries?: string[];
  /** Extra pack-config overrides (same shape as config/<env>.json). */
  config?: object;
  /** Enforce only in these namespaces (the app namespaces). */
  namespaces?: string[];
  /** Never enforce in these namespaces (system and platform components). */
  excludedNamespaces?: string[];
  /** Labels for every rendered object (k8s-required-labels applies to them too). */
  labels?: Record<string, string>;
  /**
   * Let Gatekeeper also generate a ValidatingAdmissionPolicy per template (its default from 3.20). Off by
   * default: the expressions are written and tested for Gatekeeper's own CEL driver, which evaluates the
   * object dynamically typed; the API server type-checks VAP expressions per matched kind and its cost
   * estimation was not verified here.
   */
  generateVAP?: boolean;
}

const PART_OF = "app.kubernetes.io/part-of";

export const DEFAULT_EXCLUDED = ["kube-system", "kube-public", "kube-node-lease", "gatekeeper-system"];

/** Rules that have a Gatekeeper rendering. */
export const gatekeeperRules = (): Rule[] => rules.filter((r) => r.gatekeeper);

export function templateName(rule: Rule): string {
  return rule.gatekeeper!.kind.toLowerCase();
}

export function renderGatekeeper(opts: RenderOptions): Record<string, any>[] {
  const override: Record<string, any> = { ...((opts.config ?? {}) as Record<string, any>) };
  if (opts.allowedRegistries) {
    const cur = override["k8s-image-provenance"];
    override["k8s-image-provenance"] = {
      ...(typeof cur === "object" ? cur : {}),
      allowedRegistries: opts.allowedRegistries,
    };
  }
  const config = resolvePackConfig(opts.env, override);
  const labels = {
    "app.kubernetes.io/name": "llmops-policies",
    "app.kubernetes.io/instance": `llmops-policies-${opts.env}`,
    "app.kubernetes.io/version": "0.1.0",
    "app.kubernetes.io/component": "admission-policy",
    "app.kubernetes.io/part-of": "llmops",
    "app.kubernetes.io/managed-by": "pulumi",
    environment: opts.env,
    ...(opts.labels ?? {}),
  };
  const out: Record<string, any>[] = [];
  for (const rule of gatekeeperRules()) {
    const level = enforcementOf(rule, config);
    if (level === "disabled") continue;
    const gk = rule.gatekeeper!;
    const name = templateName(rule);
    out.push({
      apiVersion: "templates.gatekeeper.sh/v1",
      kind: "ConstraintTemplate",
      metadata: {
        name,
        labels,
        annotations: {
          "llmops.dev/policy": rule.id,
          "llmops.dev/severity": rule.severity,
          "llmops.dev/category": rule.category,
          description: rule.description,
          "llmops.dev/remediation": rule.remediation,
          "llmops.dev/min-gatekeeper-version": GATEKEEPER_MIN_VERSION,
        },
      },
      spec: {
        crd: {
          spec: {
            names: { kind: gk.kind },
            validation: { openAPIV3Schema: { type: "object", properties: gk.parameters } },
          },
        },
        targets: [
          {
            target: TARGET,
            code: [
              {
                engine: CEL_ENGINE,
                source: {
                  variables: gk.variables ?? [],
                  validations: gk.validations,
                  generateVAP: opts.generateVAP ?? false,
                },
              },
            ],
          },
        ],
      },
    });
    const match: Record<string, unknown> = { kinds: gk.match };
    if (gk.ownedOnly) match.labelSelector = { matchLabels: { [PART_OF]: labels[PART_OF] } };
    if (opts.namespaces?.length) match.namespaces = opts.namespaces;
    match.excludedNamespaces = opts.excludedNamespaces ?? DEFAULT_EXCLUDED;
    out.push({
      apiVersion: "constraints.gatekeeper.sh/v1beta1",
      kind: gk.kind,
      metadata: { name: rule.id, labels, annotations: { "llmops.dev/policy": rule.id } },
      spec: {
        // advisory (reliability in dev) = warn at admission; mandatory = deny
        enforcementAction: level === "mandatory" ? "deny" : "warn",
        match,
        parameters: gk.params(policyOptions(rule, config)),
      },
    });
  }
  return out;
}
