/**
 * Gatekeeper with audit, and the admission-time rendering of the policy pack: the same rules
 * CrossGuard checks at preview, as ConstraintTemplates (CEL, K8sNativeValidation) and Constraints
 * from @llmops/policies/gatekeeper. Constraints bind only the app namespace so a rule can never
 * block a platform chart's own objects. Order: release (CRDs) -> templates -> constraints.
 */
import { renderGatekeeper } from "@llmops/policies/gatekeeper";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { NS } from "./namespaces.ts";
import { APP_NAMESPACE_IMAGES } from "./versions.ts";

export interface Gatekeeper {
  release: k8s.helm.v3.Release;
  templates: k8s.apiextensions.CustomResource[];
  constraints: k8s.apiextensions.CustomResource[];
}

export function installGatekeeper(ctx: PlatformContext, deps: pulumi.Resource[]): Gatekeeper {
  const { sizing, config } = ctx;
  const release = chartRelease(ctx, "gatekeeper", {
    namespace: NS.gatekeeper,
    dependsOn: deps,
    values: {
      replicas: sizing.gatekeeperReplicas,
      // CEL is the default engine since 3.17; stated so a chart default change cannot switch it off.
      enableK8sNativeValidation: true,
      auditInterval: 60,
      // The namespace is created (and labelled admission.gatekeeper.sh/ignore) by Pulumi,
      // so the chart's post-install labelling Job is not needed.
      postInstall: { labelNamespace: { enabled: false } },
      pdb: { controllerManager: { minAvailable: Math.min(2, sizing.gatekeeperReplicas) } },
      // The chart's CRDs sit in crds/; its pre-install/pre-upgrade hook applies them, so a bump upgrades them.
      upgradeCRDs: { enabled: true },
      // Merged with the chart's kubernetes.io/os selector on each component (and the CRD hook).
      controllerManager: onSystemNodes(ctx.config),
      audit: onSystemNodes(ctx.config),
      crds: onSystemNodes(ctx.config),
    },
  });

  const rendered = renderGatekeeper({
    env: config.environment,
    namespaces: [NS.apps],
    // The stack's own registry (the pack's default is a placeholder), and the owners of the upstream
    // images the apps layer runs there (the Postgres exporter).
    allowedRegistries: [
      config.imageRegistry,
      ...Object.values(APP_NAMESPACE_IMAGES).map((i) => `${i.registry}/${i.owner}`),
    ],
  });
  const templates = new Map<string, k8s.apiextensions.CustomResource>();
  const constraints: k8s.apiextensions.CustomResource[] = [];
  for (const obj of rendered.filter((o) => o.kind === "ConstraintTemplate")) {
    const kind = obj.spec.crd.spec.names.kind as string;
    templates.set(
      kind,
      new k8s.apiextensions.CustomResource(
        `template-${obj.metadata.name}`,
        { ...(obj as { apiVersion: string; kind: string }), metadata: obj.metadata },
        { parent: ctx.parent, dependsOn: [release] },
      ),
    );
  }
  for (const obj of rendered.filter((o) => o.kind !== "ConstraintTemplate")) {
    const template = templates.get(obj.kind);
    if (!template)
      throw new Error(`Gatekeeper constraint ${obj.metadata.name} has no template for kind ${obj.kind}`);
    constraints.push(
      new k8s.apiextensions.CustomResource(
        `constraint-${obj.metadata.name}`,
        { ...(obj as { apiVersion: string; kind: string }), metadata: obj.metadata },
        // Gatekeeper creates the constraint's CRD from its template.
        { parent: ctx.parent, dependsOn: [release, template] },
      ),
    );
  }
  return { release, templates: [...templates.values()], constraints };
}
