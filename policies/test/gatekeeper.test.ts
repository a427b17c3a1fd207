import { describe, expect, it } from "vitest";
import { validateManifests } from "../../infra/offline/manifests.ts";
import { CHARTS } from "../../infra/platform/versions.ts";
import { evaluate } from "../gatekeeper/cel.ts";
import {
  CEL_ENGINE,
  GATEKEEPER_MIN_VERSION,
  gatekeeperRules,
  renderGatekeeper,
  templateName,
} from "../gatekeeper/index.ts";
import { versionAtLeast } from "../rules/helm.ts";
import { rules } from "../rules/index.ts";
import { isKubernetesObject } from "../rules/k8s.ts";
import { cases } from "./cases.ts";
import { compliantInventory } from "./fixtures.ts";
import { runCase } from "./harness.ts";

const rendered = renderGatekeeper({ env: "prod", allowedRegistries: ["ghcr.io/acme/llmops"] });
// Parity is about the logic, so evaluate without namespace exclusions (kube-system fixtures included).
const unscoped = renderGatekeeper({ env: "prod", excludedNamespaces: [] });
const pair = (ruleId: string, objs = rendered) => {
  const rule = gatekeeperRules().find((r) => r.id === ruleId)!;
  const template = objs.find(
    (o) => o.kind === "ConstraintTemplate" && o.metadata.name === templateName(rule),
  )!;
  const constraint = objs.find((o) => o.kind === rule.gatekeeper!.kind && o.metadata.name === rule.id)!;
  return { template, constraint };
};

const celRuleIds = new Set(gatekeeperRules().map((r) => r.id));
/** Fixtures of kinds the rule's constraint matches (CrossGuard may look at more kinds, e.g. labels on all). */
const matchedKind = (ruleId: string, type: string) => {
  const [, gv, kind] = type.split(":");
  const group = gv!.includes("/") ? gv!.split("/")[0]! : "";
  const g = group === "core" ? "" : group;
  return gatekeeperRules()
    .find((r) => r.id === ruleId)!
    .gatekeeper!.match.some((m) => m.apiGroups.includes(g) && m.kinds.includes(kind!));
};
// Cases with context depend on other resources (e.g. the provider's namespace), which admission never sees.
const parityCases = cases.filter(
  (c) =>
    celRuleIds.has(c.rule) &&
    c.context.length === 0 &&
    c.resources.every((r) => isKubernetesObject(r.type) && matchedKind(c.rule, r.type)),
);

describe("Gatekeeper rendering", () => {
  it("renders a v1 CEL ConstraintTemplate and a Constraint per single-object Kubernetes rule", () => {
    const ids = gatekeeperRules().map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "k8s-min-replicas",
        "k8s-pdb-settings",
        "k8s-pod-spread",
        "k8s-probes",
        "k8s-resources",
        "k8s-security-context",
        "k8s-host-isolation",
        "k8s-image-provenance",
        "k8s-required-labels",
        "k8s-no-secret-literals",
        "k8s-exposure",
        "k8s-namespace-pod-security",
        "k8s-pod-security-standards",
        "k8s-service-account-token",
        "k8s-rbac-least-privilege",
        "k8s-autoscaler-bounds",
        "k8s-no-default-namespace",
      ]),
    );
    // Every single-object Kubernetes rule has a rendering, except the API-version check (admission only sees
    // versions the API server serves).
    const k8sResourceRules = rules
      .filter((r) => r.kind === "resource" && r.id.startsWith("k8s-"))
      .map((r) => r.id);
    expect(k8sResourceRules.filter((id) => !ids.includes(id))).toEqual(["k8s-api-versions"]);
    expect(rendered).toHaveLength(ids.length * 2);
    for (const r of gatekeeperRules()) {
      const { template, constraint } = pair(r.id);
      expect(template.apiVersion).toBe("templates.gatekeeper.sh/v1");
      expect(template.metadata.name).toBe(r.gatekeeper!.kind.toLowerCase());
      expect(template.spec.crd.spec.names.kind).toBe(r.gatekeeper!.kind);
      expect(template.spec.crd.spec.validation.openAPIV3Schema.type).toBe("object");
      const target = template.spec.targets[0];
      expect(target.target).toBe("admission.k8s.gatekeeper.sh");
      expect(target.rego).toBeUndefined();
      expect(target.code).toEqual([
        { engine: CEL_ENGINE, source: expect.objectContaining({ validations: expect.any(Array) }) },
      ]);
      expect(target.code[0].source.generateVAP).toBe(false);
      expect(constraint.apiVersion).toBe("constraints.gatekeeper.sh/v1beta1");
      expect(constraint.spec.enforcementAction).toBe("deny");
      expect(constraint.spec.match.kinds).toEqual(r.gatekeeper!.match);
      expect(constraint.spec.match.excludedNamespaces).toContain("kube-system");
    }
  });

  it("validates against the ConstraintTemplate v1 CRD schema the plan vendors (as the platform will install it)", async () => {
    const templates = renderGatekeeper({ env: "prod", namespaces: ["llmops"] }).filter(
      (o) => o.kind === "ConstraintTemplate",
    );
    const results = await validateManifests(templates.map((m, i) => ({ urn: `t${i}`, manifest: m as any })));
    for (const r of results) {
      expect(r.schemaSource).toBe("vendored CRD schema");
      expect(r.errors, r.manifest.metadata.name).toEqual([]);
    }
  });

  it("carries the recommended labels so the objects pass k8s-required-labels themselves", () => {
    for (const o of rendered) expect(Object.keys(o.metadata.labels)).toContain("app.kubernetes.io/part-of");
  });

  it("takes thresholds from the same pack config and maps dev reliability rules to warn", () => {
    const dev = renderGatekeeper({
      env: "dev",
      allowedRegistries: ["r.example.com/x/"],
      namespaces: ["llmops"],
    });
    const c = (id: string) => dev.find((o) => o.metadata.name === id && o.kind !== "ConstraintTemplate")!;
    expect(c("k8s-min-replicas").spec.enforcementAction).toBe("warn");
    expect(c("k8s-min-replicas").spec.parameters).toEqual({ minReplicas: 3 });
    expect(c("k8s-security-context").spec.enforcementAction).toBe("deny");
    expect(c("k8s-image-provenance").spec.parameters.allowedRegistries).toEqual(["r.example.com/x"]);
    expect(c("k8s-probes").spec.match.namespaces).toEqual(["llmops"]);
  });

  it(`needs Gatekeeper >= ${GATEKEEPER_MIN_VERSION} (CEL on by default), which the platform's pin is`, () => {
    expect(versionAtLeast(CHARTS.gatekeeper.version, GATEKEEPER_MIN_VERSION)).toBe(true);
    expect(versionAtLeast("3.16.3", GATEKEEPER_MIN_VERSION)).toBe(false);
    expect(versionAtLeast("3.24.0-beta.0", "3.24.0")).toBe(false);
  });
});

describe("CEL parity with CrossGuard on the same fixtures", () => {
  it("covers every rendered rule with passing and failing fixtures", () => {
    for (const id of celRuleIds) {
      expect(
        parityCases.some((c) => c.rule === id && c.fails),
        `${id} fail`,
      ).toBe(true);
      expect(
        parityCases.some((c) => c.rule === id && !c.fails),
        `${id} pass`,
      ).toBe(true);
    }
  });

  it.each(parityCases.map((c) => [c.rule, c.name, c] as const))("%s: %s", async (_r, _n, c) => {
    const objs = c.options
      ? renderGatekeeper({ env: "prod", excludedNamespaces: [], config: { [c.rule]: c.options } })
      : unscoped;
    const { template, constraint } = pair(c.rule, objs);
    const crossguard = await runCase(c);
    for (const r of c.resources) {
      const cel = evaluate(template, constraint, r.inputs);
      const cgDenied = crossguard.some((v) => v.urn === r.urn);
      expect(cel.matched).toBe(true);
      expect(
        !cel.allowed,
        `CEL ${cel.messages.join("; ")} vs CrossGuard ${crossguard.map((v) => v.message)}`,
      ).toBe(cgDenied);
      expect(!cel.allowed).toBe(c.fails);
      if (!cel.allowed) expect(cel.messages.join("")).not.toBe("");
    }
  });

  it("admits every Kubernetes object of the compliant inventory", () => {
    for (const r of compliantInventory().resources.filter((x) => isKubernetesObject(x.type))) {
      for (const rule of gatekeeperRules()) {
        const { template, constraint } = pair(rule.id);
        const res = evaluate(template, constraint, r.inputs);
        expect(res.allowed, `${rule.id} on ${r.type} ${r.name}: ${res.messages}`).toBe(true);
      }
    }
  });

  it("never refuses objects Kubernetes and Istio create by themselves in the app namespace", () => {
    const ns = "llmops";
    const auto = [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: ns } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "kube-root-ca.crt", namespace: ns },
        data: { "ca.crt": "-----BEGIN CERTIFICATE-----" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "istio-ca-root-cert", namespace: ns },
        data: { "root-cert.pem": "-----BEGIN CERTIFICATE-----" },
      },
      { apiVersion: "v1", kind: "Event", metadata: { name: "router.1", namespace: ns }, reason: "Scheduled" },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "router-abc", namespace: ns },
        spec: { containers: [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.30.3" }] },
      },
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "router-abc", namespace: ns },
        spec: { template: { spec: { containers: [] } } },
      },
      // Cluster-scoped: Gatekeeper matches these whatever the constraint's namespaces say.
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "cluster-admin", labels: { "kubernetes.io/bootstrapping": "rbac-defaults" } },
        rules: [
          { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
          { nonResourceURLs: ["*"], verbs: ["*"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "cluster-admin", labels: { "kubernetes.io/bootstrapping": "rbac-defaults" } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:masters" }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: {
          name: "cert-manager-controller-certificates",
          labels: { "app.kubernetes.io/part-of": "cert-manager" },
        },
        rules: [
          {
            apiGroups: [""],
            resources: ["secrets"],
            verbs: ["get", "list", "watch", "create", "update", "delete"],
          },
        ],
      },
    ];
    const scoped = renderGatekeeper({ env: "prod", namespaces: [ns] });
    for (const rule of gatekeeperRules()) {
      const { template, constraint } = pair(rule.id, scoped);
      for (const o of auto)
        expect(evaluate(template, constraint, o).allowed, `${rule.id} ${o.kind}/${o.metadata.name}`).toBe(
          true,
        );
    }
  });

  it("judges the stack's own cluster-scoped RBAC, matched as Gatekeeper does whatever the namespaces", () => {
    const scoped = renderGatekeeper({ env: "prod", namespaces: ["llmops"] });
    const { template, constraint } = pair("k8s-rbac-least-privilege", scoped);
    const crb = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "router-admin", labels: { "app.kubernetes.io/part-of": "llmops" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "router", namespace: "llmops" }],
    };
    const r = evaluate(template, constraint, crb);
    expect(r.matched).toBe(true);
    expect(r.allowed).toBe(false);
    expect(constraint.spec.match.labelSelector).toEqual({
      matchLabels: { "app.kubernetes.io/part-of": "llmops" },
    });
  });

  it("does not match objects in excluded namespaces or of other kinds", () => {
    const { template, constraint } = pair("k8s-probes");
    const d = structuredClone(
      compliantInventory().resources.find((r) => r.type.endsWith(":Deployment"))!.inputs,
    );
    delete d.spec.template.spec.containers[0].livenessProbe;
    expect(evaluate(template, constraint, d).allowed).toBe(false);
    d.metadata.namespace = "kube-system";
    expect(evaluate(template, constraint, d).matched).toBe(false);
    expect(
      evaluate(template, constraint, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })
        .matched,
    ).toBe(false);
  });
});
