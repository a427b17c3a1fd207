import { describe, expect, it } from "vitest";
import { checkInventory, type Inventory } from "../offline/index.ts";
import { rules } from "../rules/index.ts";
import { compliantInventory, find, T } from "./fixtures.ts";

type Break = [string, string, (inv: Inventory) => void];

const spec = (inv: Inventory, type: string, name: string) => find(inv, type, name).inputs;
const c0 = (inv: Inventory) => spec(inv, T.deploy, "router").spec.template.spec.containers[0];

const breaks: Break[] = [
  ["router replicas 1", "k8s-min-replicas", (i) => (spec(i, T.deploy, "router").spec.replicas = 1)],
  ["PDB minAvailable 1", "k8s-pdb-settings", (i) => (spec(i, T.pdb, "router").spec.minAvailable = 1)],
  [
    "PDB removed",
    "k8s-pdb-coverage",
    (i) => (i.resources = i.resources.filter((r) => !(r.type === T.pdb && r.name === "router"))),
  ],
  [
    "no topology spread",
    "k8s-pod-spread",
    (i) => delete spec(i, T.deploy, "router").spec.template.spec.topologySpreadConstraints,
  ],
  ["no readiness probe", "k8s-probes", (i) => delete c0(i).readinessProbe],
  ["no limits", "k8s-resources", (i) => delete c0(i).resources.limits],
  ["writable root fs", "k8s-security-context", (i) => (c0(i).securityContext.readOnlyRootFilesystem = false)],
  [
    "hostNetwork",
    "k8s-host-isolation",
    (i) => (spec(i, T.deploy, "router").spec.template.spec.hostNetwork = true),
  ],
  ["latest image", "k8s-image-provenance", (i) => (c0(i).image = "ghcr.io/acme/llmops/router:latest")],
  [
    "label missing",
    "k8s-required-labels",
    (i) => delete spec(i, T.svc, "router").metadata.labels["app.kubernetes.io/version"],
  ],
  [
    "literal secret",
    "k8s-no-secret-literals",
    (i) => c0(i).env.push({ name: "OPENAI_API_KEY", value: "not-a-ref-123" }),
  ],
  ["LoadBalancer service", "k8s-exposure", (i) => (spec(i, T.svc, "router").spec.type = "LoadBalancer")],
  [
    "namespace baseline",
    "k8s-namespace-pod-security",
    (i) => (spec(i, T.ns, "llmops").metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline"),
  ],
  [
    "default deny removed",
    "k8s-default-deny",
    (i) => (i.resources = i.resources.filter((r) => r.name !== "kafka-default-deny")),
  ],
  [
    "PrometheusRule removed",
    "k8s-observability",
    (i) => (i.resources = i.resources.filter((r) => r.name !== "cost-api-alerts")),
  ],
  [
    "ScaledObject removed",
    "k8s-autoscaling",
    (i) => (i.resources = i.resources.filter((r) => r.type !== T.so)),
  ],
  ["helm version range", "helm-pinned-release", (i) => (spec(i, T.helm, "loki").version = "18.x")],
  [
    "prometheus 10d",
    "helm-prometheus-retention",
    (i) => (spec(i, T.helm, "kube-prometheus-stack").values.prometheus.prometheusSpec.retention = "10d"),
  ],
  [
    "loki 7d",
    "helm-loki-retention",
    (i) => (spec(i, T.helm, "loki").values.loki.limits_config.retention_period = "7d"),
  ],
  ["gatekeeper 1 replica", "helm-gatekeeper", (i) => (spec(i, T.helm, "gatekeeper").values.replicas = 1)],
  [
    "kafka min isr 1",
    "kafka-replication",
    (i) => (spec(i, T.kafka, "llmops").spec.kafka.config["min.insync.replicas"] = 1),
  ],
  [
    "eks audit logs off",
    "aws-eks-cluster",
    (i) => (spec(i, T.eks, "cluster").enabledClusterLogTypes = ["api", "authenticator"]),
  ],
  ["kms rotation off", "secret-store-cmk", (i) => (spec(i, T.kms, "key").enableKeyRotation = false)],
  ["db unencrypted", "postgres-baseline", (i) => (spec(i, T.rds, "db").storageEncrypted = false)],
  [
    "aurora single instance",
    "postgres-ha",
    (i) => (i.resources = i.resources.filter((r) => r.name !== "db-2")),
  ],
  ["zone untagged", "cloud-tags", (i) => delete spec(i, T.zone, "zone").tags.environment],
];

describe("whole inventory", () => {
  it("the compliant prod inventory passes with zero violations in prod and dev", async () => {
    for (const env of ["prod", "dev"] as const) {
      const r = await checkInventory(compliantInventory(), { env });
      expect(r.violations).toEqual([]);
      expect(r.rulesEvaluated).toBe(rules.length);
      expect(r.mandatory + r.advisory).toBe(0);
    }
  });

  it.each(breaks)("broken one way (%s) yields exactly %s", async (_n, policy, mutate) => {
    const inv = compliantInventory();
    mutate(inv);
    const r = await checkInventory(inv, { env: "prod" });
    expect([...new Set(r.violations.map((v) => v.policy))]).toEqual([policy]);
    expect(r.mandatory).toBe(r.violations.length);
    const v = r.violations[0]!;
    expect(v.remediation).toBe(rules.find((x) => x.id === policy)!.remediation);
    expect(v.checklist).toMatch(/\d{3}_/);
  });

  it("an HPA floor at the PDB's minAvailable is below the HA floor and leaves no disruption at the floor", async () => {
    const inv = compliantInventory();
    spec(inv, T.hpa, "router").spec.minReplicas = 2;
    const r = await checkInventory(inv, { env: "prod" });
    expect(r.violations.map((v) => [v.policy, v.name])).toEqual([
      ["k8s-min-replicas", "router"],
      ["k8s-pdb-coverage", "router"],
    ]);
  });

  it("in dev a reliability break is advisory and a security break is mandatory", async () => {
    const inv = compliantInventory();
    spec(inv, T.deploy, "router").spec.replicas = 1;
    let r = await checkInventory(inv, { env: "dev" });
    expect(r.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([
      ["k8s-min-replicas", "advisory"],
    ]);
    expect(r.mandatory).toBe(0);
    c0(inv).securityContext.privileged = true;
    r = await checkInventory(inv, { env: "dev" });
    expect(r.violations.find((v) => v.policy === "k8s-host-isolation")?.enforcementLevel).toBe("mandatory");
    expect(r.mandatory).toBe(1);
  });

  it("options and enforcement come from the pack config and can be overridden", async () => {
    const inv = compliantInventory();
    c0(inv).image = "registry.example.com/llmops/router:1.0.0";
    let r = await checkInventory(inv, { env: "prod" });
    expect(r.violations.map((v) => v.policy)).toEqual(["k8s-image-provenance"]);
    r = await checkInventory(inv, {
      env: "prod",
      config: {
        "k8s-image-provenance": { allowedRegistries: ["ghcr.io/acme/llmops", "registry.example.com/llmops"] },
      },
    });
    expect(r.violations).toEqual([]);
    r = await checkInventory(inv, { env: "prod", config: { "k8s-image-provenance": "disabled" } });
    expect(r.violations).toEqual([]);
    expect(r.rulesEvaluated).toBe(rules.length - 1);
    spec(inv, T.deploy, "router").spec.replicas = 2;
    r = await checkInventory(inv, {
      env: "prod",
      config: { "k8s-min-replicas": { minReplicas: 2 }, "k8s-image-provenance": "advisory" },
    });
    expect(r.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([
      ["k8s-image-provenance", "advisory"],
    ]);
  });
});
