/**
 * The platform layer as a specification: what gets installed (chart, repository, exact version,
 * namespace, key values per environment), that every object validates against its schema, and that
 * custom resources wait for the release that installs their CRDs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SERVICE_ACCOUNTS } from "../../infra/names.ts";
import { CHART_CRDS, crdFiles } from "../../infra/platform/crds.ts";
import { STATEFUL_NAMESPACES } from "../../infra/platform/names.ts";
import { CHARTS, type ChartKey, GATEWAY_API } from "../../infra/platform/versions.ts";
import { chartValueErrors, unknownChartKeys } from "../helpers/chart-values.ts";
import { type Plan, planStack, planStackAsync, ROOT, runPlanCli } from "../helpers/plan.ts";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile";
const CR = (kind: string) => kind; // readability: objects are looked up by kind

let prod: Plan;
let dev: Plan;

beforeAll(async () => {
  // Side by side, with room for a busy machine: each is a full program run.
  [prod, dev] = await Promise.all([planStackAsync("prod"), planStackAsync("dev")]);
}, 300_000);

const release = (plan: Plan, name: string) => plan.one(RELEASE, name);
const values = (plan: Plan, name: string) => release(plan, name).inputs.values;
const urnOf = (plan: Plan, type: string, name: string) => plan.one(type, name).urn;
/** The platform layer's custom resource of a kind and name. */
const crUrn = (plan: Plan, kind: string, name: string) => {
  const found = plan.inventory.resources.filter(
    (r) =>
      r.urn.includes("llmops:platform:Platform$") &&
      r.inputs?.kind === kind &&
      r.inputs?.metadata?.name === name,
  );
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!;
};
/**
 * Kinds the report lists as having no schema, other than Gatekeeper constraints (their CRDs are
 * generated from the templates at runtime; their parameters are checked against the templates below).
 */
const unvalidatedKinds = (plan: Plan) =>
  (plan.report.match(/No schema available for: (.*)\./)?.[1] ?? "")
    .split(", ")
    .filter((k) => k && !k.startsWith("`constraints.gatekeeper.sh/"));
/** True when `resource` waits on `dependency` (explicit dependsOn). */
const waitsFor = (plan: Plan, resource: { dependsOn: string[] }, releaseName: string) =>
  resource.dependsOn.includes(urnOf(plan, RELEASE, releaseName));

describe("releases: pinned charts from https repositories", () => {
  // Which release installs which pinned chart, where. The pins themselves are read from versions.ts:
  // the point is that every release uses its pin, and that nothing else is installed.
  const installs: [release: string, pin: ChartKey, namespace: string][] = [
    ["strimzi-kafka-operator", "strimzi", "kafka"],
    ["cert-manager", "certManager", "cert-manager"],
    ["kube-prometheus-stack", "kubePrometheusStack", "monitoring"],
    ["loki", "loki", "monitoring"],
    ["alloy", "alloy", "monitoring"],
    ["keda", "keda", "keda"],
    ["external-secrets", "externalSecrets", "external-secrets"],
    ["external-dns", "externalDns", "external-dns"],
    ["istio-base", "istioBase", "istio-system"],
    ["istio-cni", "istioCni", "kube-system"],
    ["istiod", "istiod", "istio-system"],
    ["istio-ingress", "istioGateway", "istio-ingress"],
    ["gatekeeper", "gatekeeper", "gatekeeper-system"],
    // The aws stacks (prod, dev): EKS managed node groups scale only through it.
    ["cluster-autoscaler", "clusterAutoscaler", "kube-system"],
    // The aws stacks too: EKS runs no metrics-server of its own.
    ["metrics-server", "metricsServer", "metrics-server"],
    ["vpa", "vpa", "vpa"],
    ["velero", "velero", "velero"],
    // Distributed tracing (test/infra/tracing.test.ts specifies them).
    ["otel-collector", "otelCollector", "monitoring"],
    ["tempo", "tempo", "monitoring"],
    // The apps layer's, beside the roles Job (test/infra/postgres-exporter.test.ts specifies it).
    ["postgres-exporter", "postgresExporter", "llmops"],
  ];
  /** Off by default in dev (platform.backups.enabled: dev state is disposable). */
  const prodOnly = new Set(["velero"]);
  const expected = installs.map(([name, pin, namespace]) => {
    const { chart, repo, version } = CHARTS[pin];
    return [name, chart, repo, version, namespace] as const;
  });

  it("installs exactly these releases (nothing unpinned slips in), one per pin", () => {
    expect(installs.map(([, pin]) => pin).sort()).toEqual(Object.keys(CHARTS).sort());
    for (const [plan, names] of [
      [prod, expected.map((e) => e[0])],
      [dev, expected.map((e) => e[0]).filter((n) => !prodOnly.has(n))],
    ] as const)
      expect(
        plan
          .ofType(RELEASE)
          .map((r) => r.name)
          .sort(),
      ).toEqual([...names].sort());
  });

  it.each(expected)("%s: %s %s@%s in %s", (name, chart, repo, version, namespace) => {
    for (const plan of prodOnly.has(name) ? [prod] : [prod, dev]) {
      const r = release(plan, name);
      expect(r.inputs).toMatchObject({ chart, version, namespace, repositoryOpts: { repo } });
      // atomic: a failed install rolls back rather than leaving a half-installed controller.
      expect(r.inputs.atomic).toBe(true);
    }
  });

  it("no secret value ever reaches Helm values", () => {
    // "[secret]" is the plan's redaction; the hex key is Pulumi's marker of a secret Output.
    for (const plan of [prod, dev])
      for (const r of plan.ofType(RELEASE))
        expect(JSON.stringify(r.inputs.values ?? {}), r.name).not.toMatch(
          /\[secret\]|4dabf18193072939515e22adb298388d/,
        );
  });

  it("never installs ingress-nginx (retired upstream in March 2026)", () => {
    for (const plan of [prod, dev])
      expect(plan.ofType(RELEASE).map((r) => r.inputs.chart)).not.toContain("ingress-nginx");
  });
});

describe("CRD upgrades: a version bump in versions.ts upgrades every chart's CRDs", () => {
  const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";
  // Charts whose CRDs sit in Helm's crds/ folder, which `helm upgrade` never touches.
  const applied = [
    ["strimzi-kafka-operator", "strimzi"],
    ["kube-prometheus-stack", "kubePrometheusStack"],
  ] as const;

  it.each(applied)(
    "%s: its CRD files at the pinned version are Pulumi resources; the release skips crds/",
    (name, pin) => {
      const group = prod.one(CONFIG_GROUP, `${CHARTS[pin].chart}-crds`);
      expect(group.inputs.files).toEqual(crdFiles(pin));
      for (const url of group.inputs.files as string[]) {
        expect(url).toMatch(/^https:\/\//);
        expect(url).toContain(`/${pin === "strimzi" ? "" : "kube-prometheus-stack-"}${CHARTS[pin].version}/`);
      }
      expect(release(prod, name).inputs.skipCrds).toBe(true);
      expect(release(prod, name).dependsOn).toContain(group.urn);
    },
  );

  it("the CRD URLs follow the pin: another version names other files", () => {
    expect(CHART_CRDS.strimzi.folder("9.9.9")).toContain("/9.9.9/");
    expect(CHART_CRDS.kubePrometheusStack.folder("99.0.0")).toContain("/kube-prometheus-stack-99.0.0/");
  });

  it("kube-prometheus-stack leaves out its CRD subchart, so Helm never owns those CRDs", () => {
    expect(values(prod, "kube-prometheus-stack").crds).toEqual({ enabled: false });
  });

  it("charts that template their CRDs keep that on, so `helm upgrade` applies them", () => {
    expect(values(prod, "cert-manager").crds).toMatchObject({ enabled: true });
    expect(values(prod, "keda").crds).toEqual({ install: true });
    expect(values(prod, "external-secrets").installCRDs).toBe(true);
    expect(values(prod, "istio-base").base).toEqual({ enableCRDTemplates: true });
    // Gatekeeper's crds/ are applied by its own pre-install/pre-upgrade hook.
    expect(values(prod, "gatekeeper").upgradeCRDs).toEqual({ enabled: true });
  });
});

describe("Let's Encrypt: staging until the zone is delegated", () => {
  const issuerOf = (plan: Plan) =>
    plan.objects("Gateway")[0].metadata.annotations["cert-manager.io/cluster-issuer"];

  it("prod takes Let's Encrypt production only once the stack says its zone is delegated", () => {
    expect(issuerOf(prod)).toBe("letsencrypt-staging");
    expect(issuerOf(planStack("prod", { dnsDelegated: "true" }))).toBe("letsencrypt-prod");
  });

  it("dev stays on staging even when delegated", () => {
    expect(issuerOf(planStack("dev", { dnsDelegated: "true" }))).toBe("letsencrypt-staging");
  });
});

describe("node autoscaling and placement", () => {
  it("EKS: cluster-autoscaler discovers this cluster's node groups, with its IRSA role and a matching image", () => {
    const v = values(prod, "cluster-autoscaler");
    expect(v).toMatchObject({
      cloudProvider: "aws",
      awsRegion: "us-east-1",
      autoDiscovery: { clusterName: "llmops-prod" },
      // The autoscaler supports only its own Kubernetes minor (the stack runs 1.34).
      image: { tag: "v1.34.5" },
      fullnameOverride: "cluster-autoscaler",
      rbac: { serviceAccount: { create: true, name: "cluster-autoscaler" } },
      replicaCount: 2,
      extraArgs: { expander: "least-waste", "balance-similar-node-groups": true },
    });
    expect(v.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(/cluster-autoscaler/);
    expect(values(dev, "cluster-autoscaler").replicaCount).toBe(1);
  });

  it("a Kubernetes minor with no autoscaler release is bad config: exit 2, naming the key and the supported minors, no stack trace", () => {
    const run = runPlanCli(["prod", "-c", "kubernetesVersion=1.39"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /kubernetesVersion: 1\.39 has no pinned cluster-autoscaler release, which must match the cluster's minor \(supported: 1\.30, .*1\.35\)/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  const SYSTEM = { "llmops.io/pool-role": "system" };
  // Each controller's nodeSelector, at the chart's own values path.
  const controllers: [release: string, path: string[]][] = [
    ["cluster-autoscaler", []],
    ["strimzi-kafka-operator", []],
    ["cert-manager", []],
    ["cert-manager", ["webhook"]],
    ["cert-manager", ["cainjector"]],
    ["cert-manager", ["startupapicheck"]],
    ["external-secrets", []],
    ["external-secrets", ["webhook"]],
    ["external-secrets", ["certController"]],
    ["keda", []],
    ["external-dns", []],
    ["istiod", []],
    ["gatekeeper", ["controllerManager"]],
    ["gatekeeper", ["audit"]],
    ["gatekeeper", ["crds"]],
    ["kube-prometheus-stack", ["prometheusOperator"]],
    ["kube-prometheus-stack", ["prometheusOperator", "admissionWebhooks", "patch"]],
    ["kube-prometheus-stack", ["kube-state-metrics"]],
    ["kube-prometheus-stack", ["prometheus", "prometheusSpec"]],
    ["kube-prometheus-stack", ["alertmanager", "alertmanagerSpec"]],
    ["kube-prometheus-stack", ["grafana"]],
  ];
  const at = (plan: Plan, name: string, path: string[]) =>
    path.reduce((v: any, key) => v?.[key], values(plan, name));

  it.each(controllers)("prod: %s %j runs on the system pool", (name, path) => {
    expect(at(prod, name, path).nodeSelector).toEqual(SYSTEM);
  });

  it("dev has no system pool: controllers are not pinned (they would never schedule)", () => {
    for (const [name, path] of controllers) expect(at(dev, name, path)?.nodeSelector, name).toBeUndefined();
  });
});

describe("manifests", () => {
  it.each([
    ["prod", () => prod],
    ["dev", () => dev],
  ])("%s: every Kubernetes object validates against its schema, none without one", (_n, plan) => {
    const p = plan();
    expect(p.report).toMatch(/\d+ objects; \d+ valid against their schema, 0 invalid/);
    expect(unvalidatedKinds(p)).toEqual([]);
  });

  it("every platform resource goes to the cluster through the cloud layer's Kubernetes provider", () => {
    const platform = prod.inventory.resources.filter((r) => r.urn.includes("llmops:platform:Platform$"));
    expect(new Set(platform.map((r) => r.provider))).toEqual(
      new Set(["urn:pulumi:prod::llmops::llmops:cloud:AwsCloud$pulumi:providers:kubernetes::cloud-k8s"]),
    );
  });

  it("labels every platform object with the recommended set and its environment", () => {
    for (const [plan, env] of [
      [prod, "prod"],
      [dev, "dev"],
    ] as const) {
      const platform = plan.inventory.resources.filter(
        (r) => r.urn.includes("llmops:platform:Platform$kubernetes:") && r.inputs?.metadata,
      );
      expect(platform.length).toBeGreaterThan(20);
      for (const r of platform) {
        expect(r.inputs.metadata.name, r.urn).toBeTruthy();
        expect(r.inputs.metadata.labels, r.urn).toMatchObject({
          "app.kubernetes.io/part-of": "llmops",
          "app.kubernetes.io/managed-by": "pulumi",
          environment: env,
        });
        for (const k of ["name", "instance", "version", "component"])
          expect(r.inputs.metadata.labels[`app.kubernetes.io/${k}`], `${r.urn} ${k}`).toBeTruthy();
      }
    }
  });
});

describe("metrics-server (EKS: the HPAs and the VPA recommender read its metrics API)", () => {
  it("values are keys of the chart's values.yaml at the pinned version (it ships no schema)", () => {
    for (const plan of [prod, dev])
      expect(
        unknownChartKeys("metrics-server", CHARTS.metricsServer.version, values(plan, "metrics-server")),
      ).toEqual([]);
    // The check itself: a misplaced key is caught.
    expect(
      unknownChartKeys("metrics-server", CHARTS.metricsServer.version, {
        replicaCount: 2,
        podDisruptionBudget: { min: 1 },
      }),
    ).toEqual(["replicaCount", "podDisruptionBudget.min"]);
  });

  it("on system nodes; HA in prod (two replicas, a PDB, spread over zones), one in dev", () => {
    const v = values(prod, "metrics-server");
    expect(v.nodeSelector).toEqual({ "llmops.io/pool-role": "system" });
    expect(v).toMatchObject({ replicas: 2, podDisruptionBudget: { enabled: true, minAvailable: 1 } });
    expect(v.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    expect(values(dev, "metrics-server")).toMatchObject({
      replicas: 1,
      podDisruptionBudget: { enabled: false },
    });
  });

  it("its flows: the API server calls its API on the chart's containerPort, it scrapes the kubelets and reads the API", () => {
    const ns = "metrics-server";
    const inNs = (name: string) =>
      prod.objects("NetworkPolicy", name).find((p) => p.metadata.namespace === ns)?.spec;
    const chartPort = (
      parse(readFileSync(join(ROOT, "test/infra/charts/metrics-server-3.13.1/values.yaml"), "utf8")) as any
    ).containerPort;
    expect(JSON.stringify(inNs("allow-ingress"))).toContain(`"port":${chartPort}`);
    const egress = inNs("allow-egress").egress;
    // The kubelets, at the nodes' addresses in the VPC (the VPC CNI matches them by ipBlock).
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: expect.stringMatching(/^10\.\d+\.0\.0\/16$/) } }],
      ports: [{ port: 10250, protocol: "TCP" }],
    });
  });

  it("EKS's VPC CNI matches node addresses by ipBlock: no Cilium policy there", () => {
    expect(prod.objects("CiliumNetworkPolicy")).toEqual([]);
    expect(prod.objects("CiliumClusterwideNetworkPolicy")).toEqual([]);
  });

  it("the apps' autoscalers wait for it", () => {
    const ms = release(prod, "metrics-server").urn;
    const hpa = prod.inventory.resources.find(
      (r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    )!;
    expect(hpa.dependsOn).toContain(ms);
  });
});

describe("namespaces", () => {
  it("enforce Pod Security: restricted for the apps, baseline only where a component needs it", () => {
    const level = (name: string) =>
      prod.objects("Namespace", name)[0]?.metadata.labels["pod-security.kubernetes.io/enforce"];
    expect(level("llmops")).toBe("restricted");
    for (const ns of [
      "kafka",
      "cert-manager",
      "keda",
      "vpa",
      "gatekeeper-system",
      "external-secrets",
      "external-dns",
      "metrics-server",
    ])
      expect(level(ns), ns).toBe("restricted");
    for (const ns of ["monitoring", "istio-system", "istio-ingress"]) expect(level(ns), ns).toBe("baseline");
  });

  it("each has a default-deny NetworkPolicy for ingress and egress, plus DNS", () => {
    for (const ns of prod.objects("Namespace")) {
      const name = ns.metadata.name;
      const deny = prod.objects("NetworkPolicy", "default-deny").find((p) => p.metadata.namespace === name);
      expect(deny?.spec, name).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      expect(
        prod.objects("NetworkPolicy", "allow-dns").some((p) => p.metadata.namespace === name),
        name,
      ).toBe(true);
    }
  });

  it("the app namespace is in the mesh", () => {
    expect(prod.objects("Namespace", "llmops")[0].metadata.labels["istio-injection"]).toBe("enabled");
  });
});

describe("Kafka (Strimzi, KRaft, kafka.strimzi.io/v1)", () => {
  it("prod: 3 dual-role nodes on fast-ssd, replication 3, min ISR 2, rack-aware, TLS listener", () => {
    const pool = prod.objects("KafkaNodePool")[0];
    expect(pool.apiVersion).toBe("kafka.strimzi.io/v1");
    expect(pool.spec).toMatchObject({ replicas: 3, roles: ["controller", "broker"] });
    expect(pool.spec.storage.volumes[0]).toMatchObject({ class: "fast-ssd", kraftMetadata: "shared" });
    const kafka = prod.objects("Kafka", "llmops")[0].spec.kafka;
    expect(kafka.config).toMatchObject({ "default.replication.factor": 3, "min.insync.replicas": 2 });
    expect(kafka.rack).toEqual({ topologyKey: "topology.kubernetes.io/zone" });
    expect(kafka.listeners).toEqual([
      expect.objectContaining({ name: "tls", port: 9093, tls: true, authentication: { type: "tls" } }),
    ]);
    expect(kafka.authorization).toEqual({ type: "simple" });
  });

  it("dev: a single node, replication 1, no rack awareness", () => {
    expect(dev.objects("KafkaNodePool")[0].spec.replicas).toBe(1);
    const kafka = dev.objects("Kafka", "llmops")[0].spec.kafka;
    expect(kafka.config["default.replication.factor"]).toBe(1);
    expect(kafka.rack).toBeUndefined();
  });

  it("topics llm.traces, llm.anomalies, llm.budgets with partitions and retention", () => {
    const topics = prod.objects("KafkaTopic");
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual([
      "llm.anomalies",
      "llm.budgets",
      "llm.traces",
    ]);
    for (const t of topics) {
      expect(t.metadata.labels["strimzi.io/cluster"]).toBe("llmops");
      expect(t.spec.partitions).toBeGreaterThan(0);
      expect(t.spec.replicas).toBe(3);
      expect(t.spec.config["retention.ms"]).toBeGreaterThan(0);
    }
  });
});

describe("Kafka client credentials reach the app namespace", () => {
  it("the cluster CA certificate is copied next to the services by an ExternalSecret that reads only it", () => {
    const es = prod.objects("ExternalSecret", "kafka-cluster-ca")[0];
    expect(es.metadata.namespace).toBe("llmops");
    expect(es.spec.secretStoreRef).toEqual({ kind: "SecretStore", name: "kafka-cluster-ca" });
    expect(es.spec.data).toEqual([
      { secretKey: "ca.crt", remoteRef: { key: "llmops-cluster-ca-cert", property: "ca.crt" } },
    ]);
    const role = prod.objects("Role", "kafka-ca-reader")[0];
    expect(role.metadata.namespace).toBe("kafka");
    expect(role.rules).toEqual([
      expect.objectContaining({ resources: ["secrets"], resourceNames: ["llmops-cluster-ca-cert"] }),
    ]);
    expect(role.rules[0].verbs).not.toContain("create");
  });
});

describe("network flows beyond the default deny", () => {
  const policy = (ns: string, name: string) =>
    prod.objects("NetworkPolicy", name).find((p) => p.metadata.namespace === ns);
  const egressPorts = (ns: string) =>
    (policy(ns, "allow-egress")?.spec.egress ?? []).flatMap((e: any) =>
      (e.ports ?? []).map((p: any) => p.port),
    );
  const ingressPorts = (ns: string) =>
    (policy(ns, "allow-ingress")?.spec.ingress ?? []).flatMap((e: any) =>
      (e.ports ?? []).map((p: any) => p.port),
    );

  it("admission webhooks are reachable from the API server", () => {
    // EKS: the control plane's ENIs share the subnets the VPC CNI gives pods, so only the port narrows.
    expect(
      policy("keda", "allow-ingress").spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === 9443))
        .from,
    ).toBeUndefined();
    expect(ingressPorts("cert-manager")).toContain(10250);
    expect(ingressPorts("gatekeeper-system")).toContain(8443);
    expect(ingressPorts("istio-system")).toContain(15017);
    expect(ingressPorts("keda")).toEqual(expect.arrayContaining([9443, 6443]));
  });

  it("cert-manager reaches ACME and its own HTTP-01 self-check; the gateway takes public 80/443", () => {
    expect(egressPorts("cert-manager")).toEqual(expect.arrayContaining([443, 80]));
    expect(ingressPorts("istio-ingress")).toEqual(expect.arrayContaining([80, 443]));
  });

  it("Kafka accepts clients only from the app and KEDA namespaces on the TLS port", () => {
    const from = policy("kafka", "allow-ingress").spec.ingress.map((i: any) => [
      i.from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
      i.ports.map((p: any) => p.port),
    ]);
    expect(from).toEqual([
      ["llmops", [9093]],
      ["keda", [9093]],
    ]);
  });

  it("the app namespace has no namespace-wide allows: only DNS and istiod, the rest is per service", () => {
    // The services' own policies, the Postgres roles Job's and exporter's: each selects its pods only.
    const perWorkload = new Set([
      "router",
      "trace-proxy",
      "cost-api",
      "sentinel",
      "postgres-roles",
      "postgres-exporter",
    ]);
    const inApps = prod.objects("NetworkPolicy").filter((p) => p.metadata.namespace === "llmops");
    for (const p of inApps.filter((p) => perWorkload.has(p.metadata.name)))
      expect(Object.keys(p.spec.podSelector.matchLabels ?? {}), p.metadata.name).not.toEqual([]);
    const namespaceWide = inApps.filter((p) => !perWorkload.has(p.metadata.name));
    expect(namespaceWide.map((p) => p.metadata.name).sort()).toEqual([
      "allow-dns",
      "allow-egress",
      "default-deny",
    ]);
    const egress = policy("llmops", "allow-egress").spec.egress;
    expect(egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } } }],
        ports: [
          { port: 15010, protocol: "TCP" },
          { port: 15012, protocol: "TCP" },
        ],
      },
    ]);
  });
});

describe("cert-manager", () => {
  it("installs its CRDs with the chart (crds.enabled) and enables the Gateway API solver", () => {
    expect(values(prod, "cert-manager")).toMatchObject({
      crds: { enabled: true },
      config: { enableGatewayAPI: true },
    });
  });

  it("ClusterIssuers for Let's Encrypt staging and prod: DNS-01 on the zone first, HTTP-01 fallback", () => {
    for (const name of ["letsencrypt-staging", "letsencrypt-prod"]) {
      const acme = prod.objects("ClusterIssuer", name)[0].spec.acme;
      expect(acme.email).toBe("platform-team@example.com");
      expect(acme.solvers[0].selector).toEqual({ dnsZones: ["llm.example.com"] });
      expect(acme.solvers[0].dns01).toBeDefined();
      expect(acme.solvers[1].http01.gatewayHTTPRoute.parentRefs[0]).toMatchObject({
        kind: "Gateway",
        name: "public",
        namespace: "istio-ingress",
      });
    }
  });
});

describe("monitoring (kube-prometheus-stack)", () => {
  it("prod: 30 days retention, 2 Prometheus and 2 Alertmanager replicas on persistent volumes", () => {
    const v = values(prod, "kube-prometheus-stack");
    expect(v.prometheus.prometheusSpec).toMatchObject({ retention: "30d", replicas: 2 });
    expect(v.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe(
      "fast-ssd",
    );
    expect(v.alertmanager.alertmanagerSpec.replicas).toBe(2);
    expect(
      v.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage,
    ).toBeTruthy();
  });

  it("scrapes no control-plane component a managed cluster hides (their rules would page forever)", () => {
    for (const plan of [prod, dev]) {
      const v = values(plan, "kube-prometheus-stack");
      // The chart's ServiceMonitors and its KubeControllerManagerDown/KubeSchedulerDown/etcd*/KubeProxyDown
      // rules all hang on these values.
      for (const c of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"])
        expect(v[c], c).toEqual({ enabled: false });
      // What managed clusters do serve stays scraped.
      for (const c of ["kubelet", "kubeApiServer", "kubeStateMetrics", "nodeExporter"])
        expect(v[c]?.enabled, c).not.toBe(false);
    }
  });

  it("dev: same retention, single replicas", () => {
    const v = values(dev, "kube-prometheus-stack");
    expect(v.prometheus.prometheusSpec).toMatchObject({ retention: "30d", replicas: 1 });
    expect(v.alertmanager.alertmanagerSpec.replicas).toBe(1);
  });

  it("Alertmanager routes to Slack and PagerDuty from mounted secret files, never literal credentials", () => {
    const am = values(prod, "kube-prometheus-stack").alertmanager;
    const receivers = Object.fromEntries(am.config.receivers.map((r: any) => [r.name, r]));
    expect(receivers.slack.slack_configs[0].api_url_file).toMatch(
      /^\/etc\/alertmanager\/secrets\/alertmanager-receivers\//,
    );
    expect(receivers.pagerduty.pagerduty_configs[0].routing_key_file).toMatch(
      /^\/etc\/alertmanager\/secrets\//,
    );
    expect(am.alertmanagerSpec.secrets).toEqual(["alertmanager-receivers"]);
    const text = JSON.stringify(values(prod, "kube-prometheus-stack"));
    expect(text).not.toMatch(/hooks\.slack\.com|\[secret\]|routing_key"|service_key/);
    // Alertmanager's literal-URL key (Grafana's OAuth client has an api_url of its own: a public endpoint).
    expect(JSON.stringify(am)).not.toMatch(/api_url"/);
    const es = prod.objects("ExternalSecret", "alertmanager-receivers")[0];
    expect(es.metadata.namespace).toBe("monitoring");
    expect(es.spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "cloud-secrets" });
    expect(es.spec.data.map((d: any) => d.remoteRef.property).sort()).toEqual([
      "pagerdutyRoutingKey",
      "slackWebhookUrl",
    ]);
  });

  it("Grafana loads dashboards from ConfigMaps labelled grafana_dashboard and reads Loki", () => {
    const g = values(prod, "kube-prometheus-stack").grafana;
    expect(g.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: "grafana_dashboard",
      searchNamespace: "ALL",
    });
    expect(g.admin.existingSecret).toBe("grafana-admin");
    expect(g.additionalDataSources[0]).toMatchObject({ type: "loki" });
    // The admin password is generated in-cluster, so no password appears anywhere in the plan.
    expect(prod.objects("Password", "grafana-admin-password")).toHaveLength(1);
  });
});

describe("Grafana: single sign-on and platform dashboards", () => {
  const grafana = (plan: Plan) => values(plan, "kube-prometheus-stack").grafana;

  it("prod signs in through the stack's OIDC provider, the client secret mounted from an ExternalSecret", () => {
    const oauth = grafana(prod)["grafana.ini"]["auth.generic_oauth"];
    expect(oauth).toMatchObject({
      enabled: true,
      name: "Acme SSO",
      client_id: "grafana-llmops-prod",
      client_secret: "$__file{/etc/secrets/grafana-oidc/client-secret}",
      token_url: "https://login.example.com/realms/acme/protocol/openid-connect/token",
      use_pkce: true,
      groups_attribute_path: "groups",
    });
    expect(oauth.role_attribute_path).toBe(
      "contains(groups[*], 'platform-admins') && 'Admin' || contains(groups[*], 'llmops-engineers') && 'Editor' || 'Viewer'",
    );
    expect(grafana(prod)["grafana.ini"].server.root_url).toBe("https://grafana.llm.example.com");
    expect(grafana(prod).extraSecretMounts).toEqual([
      expect.objectContaining({
        secretName: "grafana-oidc",
        mountPath: "/etc/secrets/grafana-oidc",
        readOnly: true,
      }),
    ]);
    const es = prod.objects("ExternalSecret", "grafana-oidc")[0];
    expect(es.spec).toMatchObject({
      secretStoreRef: { kind: "ClusterSecretStore", name: "cloud-secrets" },
      data: [{ secretKey: "client-secret", remoteRef: { key: "llmops-prod-grafana-oidc" } }],
    });
    // Grafana starts only once the Secret it mounts can exist.
    expect(release(prod, "kube-prometheus-stack").dependsOn).toContain(
      crUrn(prod, "ExternalSecret", "grafana-oidc").urn,
    );
    expect(crUrn(prod, "ExternalSecret", "grafana-oidc").dependsOn).toContain(
      crUrn(prod, "ClusterSecretStore", "cloud-secrets").urn,
    );
  });

  it("with SSO Grafana is published on the Gateway, and only the gateway may reach its pods", () => {
    const [route] = prod.objects("HTTPRoute").filter((r) => r.metadata.namespace === "monitoring");
    expect(route.spec.hostnames).toEqual(["grafana.llm.example.com"]);
    expect(route.spec.parentRefs[0]).toMatchObject({
      name: "public",
      namespace: "istio-ingress",
      sectionName: "https",
    });
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: "kube-prometheus-stack-grafana", port: 80 }]);
    const np = prod
      .objects("NetworkPolicy", "allow-ingress-grafana")
      .find((p) => p.metadata.namespace === "monitoring");
    expect(np.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "grafana" });
    expect(np.spec.ingress[0].ports).toEqual([{ port: 3000, protocol: "TCP" }]);
  });

  it("without SSO (dev) Grafana stays internal, behind its generated admin password", () => {
    expect(grafana(dev)["grafana.ini"]).toBeUndefined();
    expect(dev.objects("ExternalSecret", "grafana-oidc")).toHaveLength(0);
    expect(dev.objects("HTTPRoute").filter((r) => r.metadata.namespace === "monitoring")).toHaveLength(0);
    expect(dev.objects("NetworkPolicy", "allow-ingress-grafana")).toHaveLength(0);
  });

  it.each([
    ["kafka", ["kafka_topic_partition_current_offset", "kafka_consumergroup_lag"]],
    ["gateway", ["istio_requests_total", "certmanager_certificate_expiration_timestamp_seconds"]],
    ["loki", ["loki_distributor_lines_received_total", "loki_request_duration_seconds_bucket"]],
    ["postgres", ["pg_stat_database_numbackends", "pg_stat_activity_max_tx_duration"]],
  ])("a %s dashboard the sidecar loads, reading %j", (key, metrics) => {
    for (const plan of [prod, dev]) {
      const cm = plan.objects("ConfigMap", `platform-${key}-dashboard`)[0];
      expect(cm.metadata).toMatchObject({ namespace: "monitoring", labels: { grafana_dashboard: "1" } });
      const board = JSON.parse(cm.data[`platform-${key}.json`]);
      const exprs = board.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
      for (const m of metrics) expect(exprs).toContain(m);
    }
  });
});

describe("platform alerts and Kafka metrics", () => {
  it("alerts on certificates expiring within 7 days, failed issuance, under-replication and growing lag, and the managed Postgres", () => {
    const rules = prod
      .objects("PrometheusRule", "platform-alerts")[0]
      .spec.groups.flatMap((g: any) => g.rules);
    expect(Object.fromEntries(rules.map((r: any) => [r.alert, r.labels.severity]))).toEqual({
      CertificateExpiringSoon: "critical",
      CertificateNotReady: "warning",
      KafkaUnderReplicatedPartitions: "critical",
      KafkaConsumerLagGrowing: "warning",
      // Specified in test/infra/postgres-exporter.test.ts.
      PostgresExporterDown: "warning",
      PostgresConnectionsNearLimit: "warning",
      PostgresDeadlocks: "warning",
      PostgresLongTransaction: "warning",
    });
    expect(rules.find((r: any) => r.alert === "CertificateExpiringSoon").expr).toContain("7 * 86400");
  });

  it("Kafka brokers and the exporter are scraped by a PodMonitor", () => {
    expect(prod.objects("Kafka", "llmops")[0].spec.kafka.metricsConfig.type).toBe("strimziMetricsReporter");
    const pm = prod.objects("PodMonitor", "llmops-metrics")[0];
    expect(pm.metadata.namespace).toBe("kafka");
    expect(pm.spec.podMetricsEndpoints).toEqual([{ port: "tcp-prometheus", path: "/metrics" }]);
    expect(waitsFor(prod, crUrn(prod, "PodMonitor", "llmops-metrics"), "kube-prometheus-stack")).toBe(true);
    expect(waitsFor(prod, crUrn(prod, "PrometheusRule", "platform-alerts"), "kube-prometheus-stack")).toBe(
      true,
    );
  });
});

describe("workload identity bindings", () => {
  // The cloud layer trusts exactly SERVICE_ACCOUNTS[x] before any chart exists; a chart installed
  // elsewhere would run without its cloud identity.
  it.each([
    ["externalSecrets", "external-secrets"],
    ["externalDns", "external-dns"],
    ["certManager", "cert-manager"],
    ["loki", "loki"],
    ["tempo", "tempo"],
    ["velero", "velero"],
  ] as const)(
    "%s runs in the namespace and ServiceAccount its cloud identity trusts",
    (consumer, releaseName) => {
      for (const plan of releaseName === "velero" ? [prod] : [prod, dev]) {
        expect(release(plan, releaseName).inputs.namespace).toBe(SERVICE_ACCOUNTS[consumer].namespace);
        expect(JSON.stringify(values(plan, releaseName))).toContain(
          `"name":"${SERVICE_ACCOUNTS[consumer].name}"`,
        );
      }
    },
  );
});

describe("logging (Loki + Alloy)", () => {
  it("Loki keeps 31 days with compactor retention", () => {
    for (const plan of [prod, dev]) {
      const loki = values(plan, "loki").loki;
      expect(loki.limits_config.retention_period).toBe("744h");
      expect(loki.compactor.retention_enabled).toBe(true);
    }
  });

  it("prod stores chunks in the cloud's object storage, dev on a volume", () => {
    expect(values(prod, "loki").loki.storage.type).toBe("s3");
    expect(values(prod, "loki").singleBinary.replicas).toBe(3);
    expect(values(dev, "loki").loki.storage).toEqual({ type: "filesystem" });
    expect(values(dev, "loki").singleBinary.replicas).toBe(1);
  });

  it("Alloy ships pod logs to Loki through the Kubernetes API (no hostPath)", () => {
    const a = values(prod, "alloy");
    expect(a.alloy.mounts).toMatchObject({ varlog: false });
    expect(a.alloy.configMap.content).toContain('loki.source.kubernetes "pods"');
    expect(a.alloy.configMap.content).toContain("/loki/api/v1/push");
  });
});

describe("secrets, DNS and autoscaling controllers", () => {
  it("external-secrets installs its CRDs and one ClusterSecretStore on the cloud's store", () => {
    expect(values(prod, "external-secrets").installCRDs).toBe(true);
    const store = prod.objects("ClusterSecretStore", "cloud-secrets")[0];
    expect(store.apiVersion).toBe("external-secrets.io/v1");
    expect(Object.keys(store.spec.provider)).toHaveLength(1);
  });

  it("external-dns publishes Gateway API HTTPRoutes on the stack's zone only", () => {
    const v = values(prod, "external-dns");
    expect(v.sources).toEqual(["gateway-httproute"]);
    expect(v.domainFilters).toEqual(["llm.example.com"]);
    expect(v.txtOwnerId).toBe("llmops-prod");
    expect(v.policy).toBe("upsert-only");
    expect(values(dev, "external-dns").domainFilters).toEqual(["dev.llm.example.com"]);
  });

  it("controllers run 2 replicas in prod and 1 in dev", () => {
    expect(values(prod, "keda").operator.replicaCount).toBe(2);
    expect(values(dev, "keda").operator.replicaCount).toBe(1);
    expect(values(prod, "cert-manager").replicaCount).toBe(2);
    expect(values(prod, "external-secrets").replicaCount).toBe(2);
  });

  it("controllers with a cloud identity use the ServiceAccount the cloud layer bound it to", () => {
    expect(values(prod, "cert-manager").serviceAccount.name).toBe("cert-manager");
    expect(values(prod, "external-secrets").serviceAccount.name).toBe("external-secrets");
    expect(values(prod, "external-dns").serviceAccount.name).toBe("external-dns");
    expect(values(prod, "loki").serviceAccount.name).toBe("loki");
  });
});

describe("Istio and the public Gateway (Gateway API)", () => {
  it("installs the standard-channel Gateway API CRDs from the pinned upstream release", () => {
    const crds = prod.ofType(CONFIG_FILE);
    expect(crds).toHaveLength(1);
    expect(crds[0]!.inputs.file).toBe(GATEWAY_API.url);
  });

  it("istiod uses the CNI node agent so meshed pods pass the restricted Pod Security Standard", () => {
    expect(values(prod, "istiod").cni).toEqual({ enabled: true });
    expect(values(prod, "istiod").autoscaleMin).toBe(2);
  });

  it("STRICT mTLS in the app namespace", () => {
    const pa = crUrn(prod, "PeerAuthentication", "default").inputs;
    expect(pa).toMatchObject({
      apiVersion: "security.istio.io/v1",
      metadata: { name: "default", namespace: "llmops" },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("one Gateway: HTTPS on the stack's domain with a cert-manager certificate, HTTP only to redirect", () => {
    const gws = prod.objects("Gateway");
    expect(gws).toHaveLength(1);
    const gw = gws[0];
    expect(gw.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(gw.metadata).toMatchObject({ name: "public", namespace: "istio-ingress" });
    // The stack files do not claim a delegated zone: even prod starts on staging.
    expect(gw.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-staging");
    expect(dev.objects("Gateway")[0].metadata.annotations["cert-manager.io/cluster-issuer"]).toBe(
      "letsencrypt-staging",
    );
    const [https, http] = gw.spec.listeners;
    expect(https).toMatchObject({
      name: "https",
      protocol: "HTTPS",
      port: 443,
      hostname: "*.llm.example.com",
      tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "public-tls" }] },
    });
    expect(https.allowedRoutes.namespaces.selector.matchExpressions).toEqual([
      { key: "kubernetes.io/metadata.name", operator: "In", values: ["llmops", "monitoring"] },
    ]);
    expect(http).toMatchObject({
      name: "http",
      protocol: "HTTP",
      allowedRoutes: { namespaces: { from: "Same" } },
    });
    const routes = prod.objects("HTTPRoute").filter((r) => r.metadata.namespace === "istio-ingress");
    expect(routes).toHaveLength(1);
    expect(routes[0].spec.parentRefs).toEqual([{ name: "public", sectionName: "http" }]);
    expect(routes[0].spec.rules).toEqual([
      { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
    ]);
  });

  it("edge rate limits: 100 rps overall, 50 rps on the API, 10 per minute on auth paths", () => {
    const f = prod.objects("EnvoyFilter", "local-rate-limit")[0];
    const cfg = f.spec.configPatches[0].patch.value.typed_config.value;
    expect(cfg.token_bucket).toEqual({ max_tokens: 100, tokens_per_fill: 100, fill_interval: "1s" });
    const bucket = (cls: string) => cfg.descriptors.find((d: any) => d.entries[0].value === cls).token_bucket;
    expect(bucket("api")).toEqual({ max_tokens: 50, tokens_per_fill: 50, fill_interval: "1s" });
    expect(bucket("auth")).toEqual({ max_tokens: 10, tokens_per_fill: 10, fill_interval: "60s" });
    expect(f.spec.workloadSelector.labels).toEqual({ istio: "ingress" });
  });

  it("security headers on every response", () => {
    const lua = prod.objects("EnvoyFilter", "security-headers")[0].spec.configPatches[0].patch.value
      .typed_config.default_source_code.inline_string;
    for (const h of [
      "strict-transport-security",
      "x-content-type-options",
      "x-frame-options",
      "content-security-policy",
    ])
      expect(lua).toContain(h);
  });

  it("installs no ingress controller besides the Istio gateway", () => {
    expect(prod.objects("Ingress")).toHaveLength(0);
  });
});

describe("backups (Velero)", () => {
  const v = () => values(prod, "velero");

  it("merged over the chart's defaults, the values pass the chart's values.schema.json", () => {
    const r = release(prod, "velero");
    expect(chartValueErrors("velero", r.inputs.version, r.inputs.values)).toEqual([]);
    // The check bites: a wrong type is refused.
    expect(
      chartValueErrors("velero", r.inputs.version, { ...r.inputs.values, deployNodeAgent: "no" }),
    ).not.toEqual([]);
  });

  it("a daily schedule with CSI volume snapshots for each namespace that keeps state, one for all objects", () => {
    const { schedules } = v();
    expect(Object.keys(schedules).sort()).toEqual(
      ["cluster-resources", ...STATEFUL_NAMESPACES.map((ns) => `stateful-${ns}`)].sort(),
    );
    for (const ns of STATEFUL_NAMESPACES)
      expect(schedules[`stateful-${ns}`]).toMatchObject({
        schedule: "0 3 * * *",
        template: {
          includedNamespaces: [ns],
          snapshotVolumes: true,
          ttl: "720h0m0s",
          storageLocation: "default",
        },
      });
    expect(schedules["cluster-resources"].template).toMatchObject({
      includedNamespaces: ["*"],
      snapshotVolumes: false,
    });
    expect(v().configuration.features).toBe("EnableCSI");
    expect(v().snapshotsEnabled).toBe(false);
    expect(prod.objects("VolumeSnapshotClass", "csi-snapshots")[0].metadata.labels).toMatchObject({
      "velero.io/csi-volumesnapshot-class": "true",
    });
  });

  it("writes to the cloud layer's bucket under Velero's workload identity, with no credentials Secret", () => {
    expect(v().configuration.backupStorageLocation).toEqual([
      expect.objectContaining({
        name: "default",
        provider: "aws",
        default: true,
        prefix: "llmops-prod",
        config: { region: "us-east-1" },
      }),
    ]);
    expect(v().credentials).toEqual({ useSecret: false });
    expect(v().serviceAccount.server.name).toBe(SERVICE_ACCOUNTS.velero.name);
    expect(release(prod, "velero").inputs.namespace).toBe(SERVICE_ACCOUNTS.velero.namespace);
    expect(v().initContainers[0].image).toMatch(/^velero\/velero-plugin-for-aws:v\d+\.\d+\.\d+$/);
  });

  it("runs non-root in a restricted namespace, and alerts on a failed or missing backup", () => {
    expect(prod.objects("Namespace", "velero")[0].metadata.labels["pod-security.kubernetes.io/enforce"]).toBe(
      "restricted",
    );
    expect(v().podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(v().deployNodeAgent).toBe(false);
    const alerts = v().metrics.prometheusRule.spec.map((a: any) => [a.alert, a.labels.severity]);
    expect(alerts).toEqual([
      ["VeleroBackupFailed", "critical"],
      ["VeleroBackupTooOld", "critical"],
    ]);
  });

  it("dev keeps no backups by default", () => {
    expect(dev.ofType(RELEASE).map((r) => r.name)).not.toContain("velero");
  });
});

describe("VerticalPodAutoscaler: the recommender only", () => {
  it("installs the recommender, never the updater or the admission controller (nothing evicts or mutates pods)", () => {
    for (const plan of [prod, dev]) {
      const v = values(plan, "vpa");
      expect(v.recommender).toMatchObject({ enabled: true, podMonitor: { enabled: true } });
      expect(v.updater).toEqual({ enabled: false });
      expect(v.admissionController).toEqual({ enabled: false });
      expect(v["metrics-server"]).toEqual({ enabled: false });
    }
    expect(values(prod, "vpa").recommender).toMatchObject({
      replicaCount: 2,
      extraArgs: { "leader-elect": true },
      podDisruptionBudget: { maxUnavailable: 1 },
    });
    expect(values(dev, "vpa").recommender.replicaCount).toBe(1);
  });

  it("kube-state-metrics exports the recommendations (target and bounds, cpu and memory)", () => {
    const ksm = values(prod, "kube-prometheus-stack")["kube-state-metrics"];
    expect(ksm.rbac.extraRules).toEqual([
      { apiGroups: ["autoscaling.k8s.io"], resources: ["verticalpodautoscalers"], verbs: ["list", "watch"] },
    ]);
    const resource = ksm.customResourceState.config.spec.resources[0];
    expect(resource.groupVersionKind).toEqual({
      group: "autoscaling.k8s.io",
      kind: "VerticalPodAutoscaler",
      version: "v1",
    });
    const metrics = resource.metrics.map((m: any) => `${m.name}/${m.each.gauge.valueFrom.join(".")}`);
    expect(metrics.sort()).toEqual([
      "vpa_container_recommendation_lower_bound/lowerBound.cpu",
      "vpa_container_recommendation_lower_bound/lowerBound.memory",
      "vpa_container_recommendation_target/target.cpu",
      "vpa_container_recommendation_target/target.memory",
      "vpa_container_recommendation_upper_bound/upperBound.cpu",
      "vpa_container_recommendation_upper_bound/upperBound.memory",
    ]);
  });

  it("runs in its own restricted namespace that reaches only the API server", () => {
    const ns = prod.objects("Namespace", "vpa")[0];
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(waitsFor(prod, release(prod, "vpa"), "kube-prometheus-stack")).toBe(true);
  });
});

describe("WAF: Coraza with the OWASP Core Rule Set on the ingress gateway", () => {
  const plugin = (plan: Plan) => {
    const found = plan.objects("WasmPlugin", "coraza-waf");
    expect(found).toHaveLength(1);
    return found[0];
  };
  const directives = (plan: Plan): string[] => plugin(plan).spec.pluginConfig.directives_map.default;

  it("runs on the gateway's pods (the Envoy in front of every routed service), before authentication", () => {
    for (const plan of [prod, dev]) {
      const p = plugin(plan);
      expect(p.apiVersion).toBe("extensions.istio.io/v1alpha1");
      expect(p.metadata.namespace).toBe("istio-ingress");
      // The same pods the edge EnvoyFilters select.
      expect(p.spec.selector.matchLabels).toEqual(
        plan.objects("EnvoyFilter", "local-rate-limit")[0].spec.workloadSelector.labels,
      );
      expect(p.spec).toMatchObject({ phase: "AUTHN", type: "HTTP", imagePullPolicy: "IfNotPresent" });
      expect(p.spec.pluginConfig.default_directives).toBe("default");
    }
  });

  it("pins the module by tag and by the image manifest digest istio-agent verifies", () => {
    const p = plugin(prod);
    expect(p.spec.url).toMatch(/^oci:\/\/ghcr\.io\/corazawaf\/coraza-proxy-wasm:\d+\.\d+\.\d+$/);
    expect(p.spec.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(plugin(dev).spec).toMatchObject({ url: p.spec.url, sha256: p.spec.sha256 });
  });

  it("prod blocks (and fails closed), dev only detects (and fails open)", () => {
    expect(directives(prod)).toContain("SecRuleEngine On");
    expect(plugin(prod).spec.failStrategy).toBe("FAIL_CLOSE");
    expect(directives(dev)).toContain("SecRuleEngine DetectionOnly");
    expect(plugin(dev).spec.failStrategy).toBe("FAIL_OPEN");
  });

  it("loads the Core Rule Set the module embeds, setup before rules", () => {
    for (const plan of [prod, dev]) {
      const d = directives(plan);
      expect(d.indexOf("Include @crs-setup-conf")).toBeLessThan(d.indexOf("Include @owasp_crs/*.conf"));
      expect(d).toContain("SecResponseBodyAccess Off");
    }
  });

  it("waits for Istio's CRDs and the gateway; the gateway may fetch the module over HTTPS", () => {
    const r = crUrn(prod, "WasmPlugin", "coraza-waf");
    expect(waitsFor(prod, r, "istio-base")).toBe(true);
    expect(waitsFor(prod, r, "istio-ingress")).toBe(true);
    const egress = prod
      .objects("NetworkPolicy", "allow-egress")
      .find((p) => p.metadata.namespace === "istio-ingress").spec.egress;
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
      ports: [{ port: 443, protocol: "TCP" }],
    });
  });
});

describe("Gatekeeper: the policy pack at admission time", () => {
  const templates = (plan: Plan) => plan.objects("ConstraintTemplate");
  const constraints = (plan: Plan) =>
    plan.manifests.filter((m) => m.apiVersion === "constraints.gatekeeper.sh/v1beta1");

  it("3 audited replicas with the CEL engine in prod, 1 in dev", () => {
    expect(values(prod, "gatekeeper")).toMatchObject({
      replicas: 3,
      enableK8sNativeValidation: true,
      auditInterval: 60,
    });
    expect(values(dev, "gatekeeper").replicas).toBe(1);
  });

  it("installs the policy pack's rendering: CEL ConstraintTemplates, one Constraint each", () => {
    expect(templates(prod).length).toBeGreaterThanOrEqual(3);
    for (const t of templates(prod)) {
      expect(t.apiVersion).toBe("templates.gatekeeper.sh/v1");
      expect(t.spec.targets[0].code[0].engine).toBe("K8sNativeValidation");
    }
    const kinds = templates(prod)
      .map((t) => t.spec.crd.spec.names.kind)
      .sort();
    expect(
      constraints(prod)
        .map((c) => c.kind)
        .sort(),
    ).toEqual(kinds);
    // The seed's starting set is covered: required labels, allowed registries, no :latest.
    expect(kinds).toEqual(expect.arrayContaining(["LlmopsRequiredLabels", "LlmopsImageProvenance"]));
  });

  it("constraints bind only the app namespace and allow the stack's own registry and the Postgres exporter's owner", () => {
    for (const c of constraints(prod)) expect(c.spec.match.namespaces, c.metadata.name).toEqual(["llmops"]);
    const images = constraints(prod).find((c) => c.kind === "LlmopsImageProvenance");
    expect(images.spec.parameters.allowedRegistries).toEqual([
      "ghcr.io/acme/llmops",
      "quay.io/prometheuscommunity",
    ]);
    expect(images.spec.enforcementAction).toBe("deny");
  });

  it("each Constraint's parameters validate against its template's schema", () => {
    // Gatekeeper generates the constraint CRDs from the templates, so no static schema exists to vendor.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const c of constraints(prod)) {
      const t = templates(prod).find((x) => x.spec.crd.spec.names.kind === c.kind);
      const check = ajv.compile(t.spec.crd.spec.validation.openAPIV3Schema);
      expect(check(c.spec.parameters ?? {}), `${c.kind}: ${JSON.stringify(check.errors)}`).toBe(true);
      expect(["deny", "warn", "dryrun"]).toContain(c.spec.enforcementAction);
    }
  });
});

describe("storage", () => {
  it("fast-ssd and standard-ssd StorageClasses from the cloud layer, zonal binding, expandable", () => {
    for (const name of ["fast-ssd", "standard-ssd"]) {
      const sc = prod.objects("StorageClass", name)[0];
      expect(sc.provisioner, name).toBeTruthy();
      expect(sc).toMatchObject({ volumeBindingMode: "WaitForFirstConsumer", allowVolumeExpansion: true });
    }
    expect(prod.objects("StorageClass", "fast-ssd")[0].reclaimPolicy).toBe("Retain");
    expect(dev.objects("StorageClass", "fast-ssd")[0].reclaimPolicy).toBe("Delete");
  });

  it("a VolumeSnapshotClass on the cloud's CSI driver", () => {
    const vsc = prod.objects("VolumeSnapshotClass")[0];
    expect(vsc).toMatchObject({ apiVersion: "snapshot.storage.k8s.io/v1", deletionPolicy: "Retain" });
    expect(vsc.driver).toBeTruthy();
  });
});

describe("ordering: a first `pulumi up` on an empty cluster succeeds", () => {
  it.each([
    [CR("ClusterIssuer"), "letsencrypt-prod", "cert-manager"],
    [CR("KafkaNodePool"), "dual-role", "strimzi-kafka-operator"],
    [CR("Kafka"), "llmops", "strimzi-kafka-operator"],
    [CR("KafkaTopic"), "llm.traces", "strimzi-kafka-operator"],
    [CR("ClusterSecretStore"), "cloud-secrets", "external-secrets"],
    [CR("ExternalSecret"), "alertmanager-receivers", "external-secrets"],
    [CR("ExternalSecret"), "grafana-admin", "external-secrets"],
    [CR("Password"), "grafana-admin-password", "external-secrets"],
    [CR("PeerAuthentication"), "default", "istio-base"],
    [CR("EnvoyFilter"), "local-rate-limit", "istio-base"],
    [CR("Gateway"), "public", "istiod"],
    [CR("Gateway"), "public", "cert-manager"],
  ])("%s %s waits for the %s release (its CRDs)", (kind, name, releaseName) => {
    for (const plan of [prod, dev]) expect(waitsFor(plan, crUrn(plan, kind, name), releaseName)).toBe(true);
  });

  it("charts that ship a ServiceMonitor wait for kube-prometheus-stack (the monitoring CRDs)", () => {
    for (const name of ["cert-manager", "loki", "alloy", "keda", "external-dns"])
      expect(waitsFor(prod, release(prod, name), "kube-prometheus-stack"), name).toBe(true);
  });

  it("kube-prometheus-stack waits for external-secrets (Grafana's admin Secret comes from it)", () => {
    expect(waitsFor(prod, release(prod, "kube-prometheus-stack"), "external-secrets")).toBe(true);
    expect(release(prod, "kube-prometheus-stack").dependsOn).toContain(
      crUrn(prod, "ExternalSecret", "grafana-admin").urn,
    );
  });

  it("Istio: base, then CNI, then istiod (after the Gateway API CRDs), then the gateway", () => {
    const gatewayApi = prod.ofType(CONFIG_FILE)[0]!.urn;
    expect(waitsFor(prod, release(prod, "istio-cni"), "istio-base")).toBe(true);
    expect(waitsFor(prod, release(prod, "istiod"), "istio-base")).toBe(true);
    expect(waitsFor(prod, release(prod, "istiod"), "istio-cni")).toBe(true);
    expect(release(prod, "istiod").dependsOn).toContain(gatewayApi);
    expect(waitsFor(prod, release(prod, "istio-ingress"), "istiod")).toBe(true);
    expect(release(prod, "cert-manager").dependsOn).toContain(gatewayApi);
    for (const kind of ["Gateway", "HTTPRoute"])
      for (const r of prod.inventory.resources.filter(
        (x) => x.inputs?.kind === kind && x.urn.includes("llmops:platform"),
      ))
        expect(r.dependsOn, kind).toContain(gatewayApi);
  });

  it("Gatekeeper: templates after the release, each constraint after its template", () => {
    const platform = prod.inventory.resources.filter((r) => r.urn.includes("llmops:platform:Platform$"));
    const tpl = platform.filter((r) => r.inputs?.kind === "ConstraintTemplate");
    const cons = platform.filter((r) => r.inputs?.apiVersion === "constraints.gatekeeper.sh/v1beta1");
    expect(cons.length).toBe(tpl.length);
    for (const t of tpl) expect(waitsFor(prod, t, "gatekeeper")).toBe(true);
    for (const c of cons) {
      const own = tpl.find((t) => t.inputs.spec.crd.spec.names.kind === c.inputs.kind)!;
      expect(c.dependsOn, c.name).toContain(own.urn);
      expect(waitsFor(prod, c, "gatekeeper")).toBe(true);
    }
  });

  it("the ExternalSecret waits for the ClusterSecretStore it reads", () => {
    expect(crUrn(prod, "ExternalSecret", "alertmanager-receivers").dependsOn).toContain(
      crUrn(prod, "ClusterSecretStore", "cloud-secrets").urn,
    );
  });

  it("every release waits for the Namespace it installs into", () => {
    // kube-system (the istio-cni node agent) is the cluster's own namespace, not created here.
    for (const r of prod.ofType(RELEASE).filter((r) => r.inputs.namespace !== "kube-system")) {
      const ns = prod.inventory.resources.find(
        (n) => n.type === "kubernetes:core/v1:Namespace" && n.inputs.metadata?.name === r.inputs.namespace,
      );
      expect(ns, r.name).toBeDefined();
      expect(r.dependsOn, r.name).toContain(ns!.urn);
    }
  });

  it("the Kafka cluster waits for its node pool and topics wait for the cluster", () => {
    const kafka = crUrn(prod, "Kafka", "llmops");
    expect(kafka.dependsOn).toContain(crUrn(prod, "KafkaNodePool", "dual-role").urn);
    expect(crUrn(prod, "KafkaTopic", "llm.traces").dependsOn).toContain(kafka.urn);
  });
});

describe("the same platform on every cloud (prod on azure)", () => {
  let azure: Plan;
  beforeAll(() => {
    azure = planStack("prod", { cloud: "azure" });
  });

  it("installs the same releases at the same versions as on aws, but the node autoscaler AKS runs itself", () => {
    const pins = (p: Plan) =>
      p
        .ofType(RELEASE)
        .map((r) => `${r.inputs.chart}@${r.inputs.version} ${r.inputs.namespace}`)
        .sort();
    expect(pins(azure)).toEqual(
      pins(prod).filter((p) => !p.startsWith("cluster-autoscaler@") && !p.startsWith("metrics-server@")),
    );
  });

  it("AKS ships metrics-server (a cloud-layer fact): no release, no namespace for one", () => {
    expect(azure.ofType(RELEASE).map((r) => r.name)).not.toContain("metrics-server");
    expect(azure.objects("Namespace", "metrics-server")).toEqual([]);
  });

  it("the gateway's load balancer takes each cloud's flavour and stack tags", () => {
    const annotations = (p: Plan) => values(p, "istio-ingress").service.annotations;
    expect(annotations(prod)["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("nlb");
    expect(
      annotations(prod)["service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags"],
    ).toContain("environment=prod");
    expect(
      Object.keys(annotations(azure)).some((k) => k.startsWith("service.beta.kubernetes.io/azure")),
    ).toBe(true);
  });

  it("the same WAF in blocking mode", () => {
    expect(azure.objects("WasmPlugin", "coraza-waf")[0].spec).toEqual(
      prod.objects("WasmPlugin", "coraza-waf")[0].spec,
    );
  });

  it("every Kubernetes object validates", () => {
    expect(azure.report).toMatch(/\d+ objects; \d+ valid against their schema, 0 invalid/);
    expect(unvalidatedKinds(azure)).toEqual([]);
  });
});
