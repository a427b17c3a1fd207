/**
 * The policy pack on the real prod plan: zero findings on every cloud, and each production risk the
 * established checkers (Polaris, Kyverno, kube-score, the Gatekeeper library) catch, applied one at a time to
 * the planned inventory, yields exactly the rules that cover it.
 */
import { checkInventory } from "@llmops/policies/offline";
import { beforeAll, describe, expect, it } from "vitest";
import type { Inventory, InventoryResource } from "../../infra/offline/inventory.ts";
import { type Plan, planStack } from "../helpers/plan.ts";

const CLOUDS = ["aws", "gcp", "azure"] as const;
const plans = new Map<string, Plan>();

beforeAll(() => {
  for (const cloud of CLOUDS) plans.set(cloud, planStack("prod", { cloud }));
}, 300_000);

const K = (t: string) => `kubernetes:${t}`;
const byName = (inv: Inventory, type: string, name: string): InventoryResource => {
  const r = inv.resources.find((x) => x.type === K(type) && x.inputs?.metadata?.name === name);
  if (!r) throw new Error(`${type} ${name} not in the plan`);
  return r;
};
const router = (inv: Inventory) => byName(inv, "apps/v1:Deployment", "router").inputs;
const pod = (inv: Inventory) => router(inv).spec.template.spec;
const c0 = (inv: Inventory) => pod(inv).containers[0];
/** A new object of the stack: the router's labels, so only the rule under test can object to it. */
const add = (inv: Inventory, type: string, name: string, inputs: Record<string, any>) => {
  const labels = router(inv).metadata.labels;
  inv.resources.push({
    urn: `urn:pulumi:prod::llmops::${K(type)}::${name}`,
    type: K(type),
    name,
    dependsOn: [],
    inputs: { ...inputs, metadata: { name, labels, ...inputs.metadata } },
  });
};
const retype = (r: InventoryResource, apiVersion: string) => {
  r.type = r.type.replace(/:[^:]+\/[^:]+:/, `:${apiVersion}:`);
  r.inputs.apiVersion = apiVersion;
};

type Gap = [string, string[], (inv: Inventory) => void];
const gaps: Gap[] = [
  [
    "container adds SYS_ADMIN",
    ["k8s-security-context"],
    (i) => (c0(i).securityContext.capabilities.add = ["SYS_ADMIN"]),
  ],
  [
    "container adds NET_ADMIN",
    ["k8s-security-context"],
    (i) => (c0(i).securityContext.capabilities.add = ["NET_ADMIN"]),
  ],
  [
    "seccomp Localhost profile not on the allow-list",
    ["k8s-security-context"],
    // The container's own profile wins over the pod's, so that is where the override goes.
    (i) => (c0(i).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "any.json" }),
  ],
  [
    "procMount Unmasked",
    ["k8s-pod-security-standards"],
    (i) => (c0(i).securityContext.procMount = "Unmasked"),
  ],
  [
    "unsafe sysctl",
    ["k8s-pod-security-standards"],
    (i) => (pod(i).securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }]),
  ],
  [
    "SELinux type override",
    ["k8s-pod-security-standards"],
    (i) => (c0(i).securityContext.seLinuxOptions = { type: "spc_t" }),
  ],
  [
    "AppArmor Unconfined",
    ["k8s-pod-security-standards"],
    (i) => (c0(i).securityContext.appArmorProfile = { type: "Unconfined" }),
  ],
  [
    "hostProcess",
    ["k8s-pod-security-standards"],
    (i) => (pod(i).securityContext.windowsOptions = { hostProcess: true }),
  ],
  [
    "nfs volume",
    ["k8s-pod-security-standards"],
    (i) => pod(i).volumes.push({ name: "nfs", nfs: { server: "10.0.0.2", path: "/" } }),
  ],
  [
    "app pod mounts its token",
    ["k8s-service-account-token"],
    (i) => (pod(i).automountServiceAccountToken = true),
  ],
  [
    "Service externalIPs (CVE-2020-8554)",
    ["k8s-exposure"],
    (i) => (byName(i, "core/v1:Service", "router").inputs.spec.externalIPs = ["203.0.113.7"]),
  ],
  [
    "AZURE_OPENAI_KEY literal",
    ["k8s-no-secret-literals"],
    (i) => c0(i).env.push({ name: "AZURE_OPENAI_KEY", value: "0f3c9a7be1d24c55a9e0b4f1c2d3e4f5" }),
  ],
  [
    "spread and anti-affinity selecting another app's pods",
    ["k8s-pod-spread"],
    (i) => {
      const other = { matchLabels: { "app.kubernetes.io/name": "cost-api" } };
      for (const t of pod(i).topologySpreadConstraints) t.labelSelector = other;
      for (const t of pod(i).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution)
        t.podAffinityTerm.labelSelector = other;
    },
  ],
  [
    "ClusterRoleBinding granting cluster-admin to the router's ServiceAccount",
    ["k8s-rbac-least-privilege"],
    (i) =>
      add(i, "rbac.authorization.k8s.io/v1:ClusterRoleBinding", "router-admin", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: "router", namespace: "llmops" }],
      }),
  ],
  [
    "Role granting pods/exec and listing Secrets",
    ["k8s-rbac-least-privilege"],
    (i) =>
      add(i, "rbac.authorization.k8s.io/v1:Role", "debug", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { namespace: "llmops" },
        rules: [
          { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
          { apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] },
        ],
      }),
  ],
  [
    "HTTPRoute without a host",
    ["k8s-exposure"],
    (i) => delete byName(i, "gateway.networking.k8s.io/v1:HTTPRoute", "router").inputs.spec.hostnames,
  ],
  [
    "Ingress rule without a host",
    ["k8s-exposure"],
    (i) =>
      add(i, "networking.k8s.io/v1:Ingress", "legacy", {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { namespace: "llmops", annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" } },
        spec: {
          tls: [{ hosts: ["legacy.llm.example.com"], secretName: "legacy-tls" }],
          rules: [{ http: { paths: [] } }],
        },
      }),
  ],
  [
    "HPA floor 1, below the PDB's minAvailable 2",
    ["k8s-min-replicas", "k8s-pdb-coverage"],
    (i) => (byName(i, "autoscaling/v2:HorizontalPodAutoscaler", "router").inputs.spec.minReplicas = 1),
  ],
  [
    "HPA max equal to min",
    ["k8s-autoscaler-bounds"],
    (i) => {
      const s = byName(i, "autoscaling/v2:HorizontalPodAutoscaler", "router").inputs.spec;
      s.maxReplicas = s.minReplicas;
    },
  ],
  [
    "HPA targeting a Deployment that does not exist",
    // The router is then unscaled, and the HPA names nothing.
    ["k8s-autoscaling"],
    (i) =>
      (byName(i, "autoscaling/v2:HorizontalPodAutoscaler", "router").inputs.spec.scaleTargetRef.name =
        "ghost"),
  ],
  [
    "PDB in the removed policy/v1beta1 (still evaluated, reported as removed)",
    ["k8s-api-versions"],
    (i) => retype(byName(i, "policy/v1:PodDisruptionBudget", "router"), "policy/v1beta1"),
  ],
  [
    "HPA in autoscaling/v2beta1, which the pack does not read",
    // Reported as unrecognised; the router then counts as unscaled.
    ["k8s-api-versions", "k8s-autoscaling"],
    (i) => retype(byName(i, "autoscaling/v2:HorizontalPodAutoscaler", "router"), "autoscaling/v2beta1"),
  ],
  [
    "Deployment without metadata.namespace (lands in default)",
    // default has no default-deny policy, and the router's PDB, HPA and Service stay in llmops.
    ["k8s-autoscaling", "k8s-default-deny", "k8s-no-default-namespace", "k8s-pdb-coverage"],
    (i) => delete router(i).metadata.namespace,
  ],
  [
    "the gateway's WAF only detects (a prod rollout left in DetectionOnly)",
    ["waf-blocking"],
    (i) => {
      const waf = i.resources.find((r) => r.inputs?.kind === "WasmPlugin")!.inputs.spec;
      waf.pluginConfig.directives_map.default = waf.pluginConfig.directives_map.default.map((d: string) =>
        d.startsWith("SecRuleEngine") ? "SecRuleEngine DetectionOnly" : d,
      );
    },
  ],
  [
    "Kafka's backup schedule dropped",
    ["backups-stateful-namespaces"],
    (i) => {
      const velero = i.resources.find((r) => r.type === K("helm.sh/v3:Release") && r.name === "velero")!;
      delete velero.inputs.values.schedules["stateful-kafka"];
    },
  ],
];

describe("the policy pack on the prod plan", () => {
  it.each(CLOUDS)("%s: zero violations", (cloud) => {
    expect(plans.get(cloud)!.sarif.runs[0].results).toEqual([]);
  });

  it("recognises an autoscaling/v1 HPA (served): still zero violations", async () => {
    const inv = structuredClone(plans.get("gcp")!.inventory);
    const hpa = byName(inv, "autoscaling/v2:HorizontalPodAutoscaler", "router");
    retype(hpa, "autoscaling/v1");
    delete hpa.inputs.spec.metrics;
    delete hpa.inputs.spec.behavior;
    hpa.inputs.spec.targetCPUUtilizationPercentage = 70;
    expect((await checkInventory(inv as any, { env: "prod" })).violations).toEqual([]);
  });

  it.each(gaps)("%s yields exactly %j", async (_name, expected, mutate) => {
    const inv = structuredClone(plans.get("gcp")!.inventory);
    mutate(inv);
    const r = await checkInventory(inv as any, { env: "prod" });
    expect([...new Set(r.violations.map((v) => v.policy))].sort()).toEqual(expected);
  });
});
