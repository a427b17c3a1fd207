/**
 * Reading a planned cloud layer: secret-wrapped inputs, resources by type, the kubeconfig the
 * kubernetes Provider received. Shared by the three cloud-*.test.ts specifications.
 */
import { expect } from "vitest";
import { type InventoryResource, REDACTED } from "../../infra/offline/inventory.ts";
import { validateManifests } from "../../infra/offline/manifests.ts";
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

/**
 * On a Cilium dataplane (AKS Azure CNI powered by Cilium, GKE Dataplane V2) node addresses are the
 * entities host and remote-node, which the ipBlock rule never matches: Prometheus's scrapes of the
 * kubelets and node-exporter are allowed by entity, on exactly the ports the ipBlock rule names, in the
 * Cilium policy kind the cloud's cluster serves (and no other), validated against Cilium's CRD schema
 * of that kind, allowing only and selecting only the monitoring namespace's pods.
 */
export async function expectNodeScrapesByEntity(
  plan: Plan,
  kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy",
): Promise<void> {
  const other = kind === "CiliumNetworkPolicy" ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy";
  expect(plan.objects(other), `the cluster serves no ${other}`).toEqual([]);
  const policies = plan.objects(kind);
  expect(policies, `one ${kind}: the monitoring namespace's node egress`).toHaveLength(1);
  const [policy] = policies;
  expect(policy.apiVersion).toBe("cilium.io/v2");
  if (kind === "CiliumNetworkPolicy") {
    expect(policy.metadata).toMatchObject({ name: "allow-egress-nodes", namespace: "monitoring" });
    expect(policy.spec.endpointSelector).toEqual({});
  } else {
    // Cluster-scoped: no namespace of its own, so it names and selects the monitoring namespace.
    expect(policy.metadata.namespace).toBeUndefined();
    expect(policy.metadata.name).toBe("monitoring-allow-egress-nodes");
    expect(policy.spec.endpointSelector).toEqual({
      matchLabels: { "k8s:io.kubernetes.pod.namespace": "monitoring" },
    });
  }
  // The ipBlock rule to the nodes: the one that names the kubelet port.
  const ipBlockPorts = plan
    .objects("NetworkPolicy", "allow-egress")
    .filter((o) => o.metadata.namespace === "monitoring")[0]
    .spec.egress.find((e: any) => e.to?.[0]?.ipBlock && e.ports?.some((p: any) => p.port === 10250))
    .ports.map((p: any) => String(p.port));
  expect(policy.spec.egress).toEqual([
    {
      toEntities: ["host", "remote-node"],
      toPorts: [{ ports: ipBlockPorts.map((port: string) => ({ port, protocol: "TCP" })) }],
    },
  ]);
  expect(ipBlockPorts.sort()).toEqual(["10250", "9100"]);
  expect(policy.spec.enableDefaultDeny).toEqual({ egress: false, ingress: false });
  const [result] = await validateManifests([{ urn: "cilium-policy", manifest: policy }]);
  expect(result!.schemaSource).toBe("vendored CRD schema");
  expect(result!.errors).toEqual([]);
  // The schema is really applied: an entity Cilium does not know is refused.
  const wrong = structuredClone(policy);
  wrong.spec.egress[0].toEntities = ["nodes"];
  const [refused] = await validateManifests([{ urn: "cilium-policy", manifest: wrong }]);
  expect(refused!.errors.join(" ")).toMatch(/toEntities\/0 must be equal to one of the allowed values/);
}

/** GKE and AKS run metrics-server themselves: the platform installs none (CloudLayer.facts). */
export function expectNoMetricsServer(plan: Plan): void {
  expect(plan.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name)).not.toContain("metrics-server");
  expect(plan.objects("Namespace", "metrics-server")).toEqual([]);
}
