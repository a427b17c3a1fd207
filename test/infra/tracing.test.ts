/**
 * Distributed tracing, platform side, as a specification: an OpenTelemetry Collector and Grafana
 * Tempo at their pinned versions with values the charts accept, the flows services -> collector ->
 * Tempo <- Grafana and nothing wider, Tempo as a Grafana datasource linked to Loki both ways, and the
 * services pointed at the collector. Planned in dev and prod on every cloud, and with tracing off.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CHARTS } from "../../infra/platform/versions.ts";
import { CONTRACTS } from "../../services/services.ts";
import { chartValueErrors, unknownChartKeys } from "../helpers/chart-values.ts";
import { type Plan, planStackAsync } from "../helpers/plan.ts";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CLOUDS = ["aws", "gcp", "azure"] as const;
const SERVICES = CONTRACTS.map((c) => c.name);

const plans: Record<string, Plan> = {};
const plan = (env: "dev" | "prod", cloud: (typeof CLOUDS)[number] = "aws") => plans[`${env}-${cloud}`]!;
let off: Plan;

beforeAll(async () => {
  // Two at a time: the machine's cores are shared and each plan is a full program run.
  const jobs: [string, () => Promise<Plan>][] = [
    ...CLOUDS.flatMap((cloud) =>
      (["prod", "dev"] as const).map(
        (env) =>
          [
            `${env}-${cloud}`,
            () => planStackAsync(env, { cloud, ...(env === "dev" ? { apiAllowedCidrs: "[]" } : {}) }),
          ] as [string, () => Promise<Plan>],
      ),
    ),
    ["off", () => planStackAsync("dev", { platform: JSON.stringify({ tracing: { enabled: false } }) })],
  ];
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const [key, run] = job;
      if (key === "off") off = await run();
      else plans[key] = await run();
    }
  };
  await Promise.all([worker(), worker()]);
}, 600_000);

const everyPlan = () => Object.entries(plans);
const release = (p: Plan, name: string) => p.one(RELEASE, name);
const values = (p: Plan, name: string) => release(p, name).inputs.values;
const grafanaSources = (p: Plan) => values(p, "kube-prometheus-stack").grafana.additionalDataSources;

describe("releases: pinned, in the monitoring namespace, in dev and prod on every cloud", () => {
  it("installs the collector and Tempo from their pins", () => {
    for (const [key, p] of everyPlan()) {
      for (const [name, pin] of [
        ["otel-collector", CHARTS.otelCollector],
        ["tempo", CHARTS.tempo],
      ] as const) {
        const r = release(p, name);
        expect([key, r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts.repo]).toEqual([
          key,
          pin.chart,
          pin.version,
          pin.repo,
        ]);
        expect(r.inputs.namespace).toBe("monitoring");
      }
    }
  });

  it("each waits for kube-prometheus-stack (their ServiceMonitors need its CRDs); the collector for Tempo", () => {
    const p = plan("prod");
    const kps = p.one(RELEASE, "kube-prometheus-stack").urn;
    expect(release(p, "tempo").dependsOn).toContain(kps);
    expect(release(p, "otel-collector").dependsOn).toEqual(
      expect.arrayContaining([kps, release(p, "tempo").urn]),
    );
  });

  it("every manifest validates and no policy is violated", () => {
    for (const [key, p] of [...everyPlan(), ["off", off] as const]) {
      expect([key, p.report]).toEqual([
        key,
        expect.stringMatching(/\d+ objects; \d+ valid against their schema, 0 invalid/),
      ]);
      // Exit 0: no mandatory policy violation and no invalid manifest.
      expect([key, p.status]).toEqual([key, 0]);
    }
  });
});

describe("chart values, checked against each chart at its pinned version", () => {
  it("the collector's values pass its values.schema.json over its defaults", () => {
    for (const [key, p] of everyPlan()) {
      const r = release(p, "otel-collector");
      expect([key, chartValueErrors(r.inputs.chart, r.inputs.version, r.inputs.values)]).toEqual([key, []]);
    }
  });

  it("the schema check catches a wrong value (it is not vacuous)", () => {
    const r = release(plan("prod"), "otel-collector");
    expect(
      chartValueErrors(r.inputs.chart, r.inputs.version, { ...r.inputs.values, mode: "sidecar" }),
    ).not.toEqual([]);
    expect(
      chartValueErrors(r.inputs.chart, r.inputs.version, { ...r.inputs.values, replicaCont: 2 }),
    ).not.toEqual([]);
  });

  it("every key Tempo's values set is one its chart declares or reads (the chart has no schema)", () => {
    for (const [key, p] of everyPlan()) {
      const r = release(p, "tempo");
      expect([key, unknownChartKeys(r.inputs.chart, r.inputs.version, r.inputs.values)]).toEqual([key, []]);
    }
    const r = release(plan("prod"), "tempo");
    const misspelt = {
      ...r.inputs.values,
      persistence: { ...r.inputs.values.persistence, storageClass: "x" },
    };
    expect(unknownChartKeys(r.inputs.chart, r.inputs.version, misspelt)).toEqual([
      "persistence.storageClass",
    ]);
  });
});

describe("Tempo's storage block, checked against Tempo's own configuration at the chart's appVersion", () => {
  // The chart renders tempo.storage whole into Tempo's config file, so the chart cannot vouch for the
  // keys below it: these are the yaml tags of Tempo v2.10.8's storage config (tempodb/backend/
  // {s3,gcs,azure}/config.go, tempodb/backend/local and the WAL's path), the ones this platform sets.
  const TEMPO_STORAGE_KEYS: Record<string, string[]> = {
    s3: [
      "bucket",
      "prefix",
      "endpoint",
      "region",
      "insecure",
      "forcepathstyle",
      "storage_class",
      "tags",
      "sse",
    ],
    gcs: ["bucket_name", "prefix", "endpoint", "insecure", "object_metadata"],
    azure: ["storage_account_name", "use_federated_token", "container_name", "prefix", "endpoint_suffix"],
    local: ["path"],
  };

  it("pins Tempo 2.10.8, the version these keys were read from", () => {
    expect(CHARTS.tempo.appVersion).toBe("2.10.8");
  });

  it("sets one backend, its own block with keys Tempo reads, and the write-ahead log path, in every plan", () => {
    for (const [key, p] of everyPlan()) {
      const trace = values(p, "tempo").tempo.storage.trace;
      const { backend, wal, ...blocks } = trace;
      expect([key, Object.keys(blocks)]).toEqual([key, [backend]]);
      expect([
        key,
        Object.keys(blocks[backend]).filter((k) => !TEMPO_STORAGE_KEYS[backend]!.includes(k)),
      ]).toEqual([key, []]);
      expect(wal).toEqual({ path: "/var/tempo/wal" });
    }
  });
});

describe("the collector: OTLP in, Tempo out", () => {
  const v = () => values(plan("prod"), "otel-collector");

  it("runs as a gateway Deployment of the k8s distribution, HA with a PDB in prod", () => {
    expect(v()).toMatchObject({
      mode: "deployment",
      image: { repository: "otel/opentelemetry-collector-k8s" },
    });
    expect(v().replicaCount).toBe(2);
    expect(v().podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(values(plan("dev"), "otel-collector").replicaCount).toBe(1);
    expect(values(plan("dev"), "otel-collector").podDisruptionBudget).toBeUndefined();
  });

  it("has a memory limit for memory_limiter to work against, and runs as non-root", () => {
    expect(v().resources.limits.memory).toMatch(/^\d+(Mi|Gi)$/);
    expect(v().podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(v().securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("its whole configuration: OTLP gRPC and HTTP receivers, one traces pipeline to Tempo over OTLP/gRPC", () => {
    const c = v().alternateConfig;
    expect(Object.keys(c.receivers)).toEqual(["otlp"]);
    expect(c.receivers.otlp.protocols).toEqual({
      grpc: { endpoint: "${env:MY_POD_IP}:4317" },
      http: { endpoint: "${env:MY_POD_IP}:4318" },
    });
    expect(c.service.pipelines).toEqual({
      traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp"] },
    });
    expect(c.exporters.otlp.endpoint).toBe("tempo.monitoring.svc.cluster.local:4317");
    // The chart refuses to render without it (its probes call it).
    expect(c.service.extensions).toContain("health_check");
    expect(c.extensions.health_check).toBeDefined();
  });

  it("opens only the OTLP ports and its metrics port (scraped by a ServiceMonitor)", () => {
    const ports = v().ports;
    for (const name of ["jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"])
      expect(ports[name]).toEqual({ enabled: false });
    expect(ports.metrics).toEqual({ enabled: true });
    expect(v().serviceMonitor).toEqual({ enabled: true });
  });
});

describe("Tempo: single binary, seven days; blocks in object storage in prod, on its volume in dev", () => {
  it("keeps 168 h of spans; the volume holds the blocks in dev and only the write-ahead log in prod", () => {
    const prod = values(plan("prod"), "tempo");
    expect(prod.tempo.retention).toBe("168h");
    expect(prod.replicas).toBe(1);
    expect(prod.persistence).toMatchObject({ enabled: true, storageClassName: "standard-ssd", size: "20Gi" });
    expect(values(plan("dev"), "tempo").persistence.size).toBe("10Gi");
    expect(prod.tempo.reportingEnabled).toBe(false);
    expect(prod.serviceMonitor).toEqual({ enabled: true });
  });

  it("dev on every cloud: backend local on the volume, no bucket, no cloud identity", () => {
    for (const cloud of CLOUDS) {
      const p = plan("dev", cloud);
      const v = values(p, "tempo");
      expect([cloud, v.tempo.storage]).toEqual([
        cloud,
        {
          trace: { backend: "local", local: { path: "/var/tempo/traces" }, wal: { path: "/var/tempo/wal" } },
        },
      ]);
      expect([cloud, v.serviceAccount]).toEqual([cloud, { name: "tempo", annotations: {} }]);
      expect(p.inventory.resources.filter((r) => r.name.includes("-tempo"))).toEqual([]);
    }
  });

  // The values name the bucket, role or identity the cloud layer created for Tempo (the mocks derive
  // their cloud names from these resources), so values pointing anywhere else fail.
  const tempo = (cloud: (typeof CLOUDS)[number]) => values(plan("prod", cloud), "tempo");
  const one = (cloud: (typeof CLOUDS)[number], type: string, name: string) =>
    plan("prod", cloud).one(type, name);

  it("prod on AWS: S3 with IRSA; a private, KMS-encrypted, TLS-only bucket with Tempo's documented permissions only", () => {
    const bucket = one("aws", "aws:s3/bucket:Bucket", "llmops-prod-tempo-traces");
    expect(tempo("aws").tempo.storage.trace).toEqual({
      backend: "s3",
      s3: {
        bucket: expect.stringMatching(new RegExp(`^${bucket.inputs.bucketPrefix}[0-9a-f]+$`)),
        endpoint: "s3.us-east-1.amazonaws.com",
        region: "us-east-1",
      },
      wal: { path: "/var/tempo/wal" },
    });
    const role = one("aws", "aws:iam/role:Role", "llmops-prod-tempo");
    expect(tempo("aws").serviceAccount).toEqual({
      name: "tempo",
      annotations: { "eks.amazonaws.com/role-arn": expect.stringMatching(/:llmops-prod-tempo$/) },
    });
    const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals;
    expect(Object.values(trust)).toContain("system:serviceaccount:monitoring:tempo");
    const policy = JSON.parse(one("aws", "aws:iam/rolePolicy:RolePolicy", "llmops-prod-tempo").inputs.policy);
    expect(policy.Statement.map((s: any) => s.Action)).toEqual([
      ["s3:ListBucket"],
      ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
      ["kms:Decrypt", "kms:GenerateDataKey"],
    ]);
    expect(policy.Statement[1].Resource).toEqual([expect.stringMatching(/:llmops-prod-tempo-traces\/\*$/)]);
    const of = (type: string) => one("aws", `aws:s3/${type}`, "llmops-prod-tempo-traces").inputs;
    expect(
      of("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules[0]
        .applyServerSideEncryptionByDefault.sseAlgorithm,
    ).toBe("aws:kms");
    expect(of("bucketPublicAccessBlock:BucketPublicAccessBlock")).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(JSON.parse(of("bucketPolicy:BucketPolicy").policy).Statement[0].Sid).toBe("DenyInsecureTransport");
    // Tempo's S3 docs recommend dropping incomplete multipart uploads after a day; its compactor
    // applies the retention, so nothing else expires.
    expect(of("bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules).toEqual([
      {
        id: "expire-leftovers",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
  });

  it("prod on GCP: GCS with GKE Workload Identity; object admin plus bucket metadata (Tempo checks the bucket at start)", () => {
    const bucket = one("gcp", "gcp:storage/bucket:Bucket", "llmops-prod-tempo-traces");
    expect(bucket.inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
    });
    expect(tempo("gcp").tempo.storage.trace).toEqual({
      backend: "gcs",
      gcs: { bucket_name: bucket.inputs.name },
      wal: { path: "/var/tempo/wal" },
    });
    const account = one("gcp", "gcp:serviceaccount/account:Account", "llmops-prod-tempo");
    const email = `${account.inputs.accountId}@acme-llmops-prod.iam.gserviceaccount.com`;
    expect(tempo("gcp").serviceAccount).toEqual({
      name: "tempo",
      annotations: { "iam.gke.io/gcp-service-account": email },
    });
    expect(one("gcp", "gcp:serviceaccount/iAMMember:IAMMember", "llmops-prod-tempo-wi").inputs.member).toBe(
      "serviceAccount:acme-llmops-prod.svc.id.goog[monitoring/tempo]",
    );
    const grants = plan("prod", "gcp")
      .ofType("gcp:storage/bucketIAMMember:BucketIAMMember")
      .filter((g) => g.name.includes("-tempo-"))
      .map((g) => [g.inputs.role, g.inputs.member]);
    expect(grants).toEqual([
      ["roles/storage.objectAdmin", `serviceAccount:${email}`],
      ["roles/storage.legacyBucketReader", `serviceAccount:${email}`],
    ]);
  });

  it("prod on Azure: Blob with Entra workload identity; an Entra-only account reachable from the node subnet only", () => {
    const account = one("azure", "azure-native:storage:StorageAccount", "llmops-prod-traces");
    expect(account.inputs).toMatchObject({
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      networkRuleSet: { defaultAction: "Deny" },
    });
    expect(
      one("azure", "azure-native:storage:BlobContainer", "llmops-prod-tempo-traces").inputs,
    ).toMatchObject({
      containerName: "traces",
      publicAccess: "None",
    });
    expect(tempo("azure").tempo.storage.trace).toEqual({
      backend: "azure",
      azure: {
        container_name: "traces",
        storage_account_name: expect.any(String),
        use_federated_token: true,
      },
      wal: { path: "/var/tempo/wal" },
    });
    one("azure", "azure-native:managedidentity:UserAssignedIdentity", "llmops-prod-tempo");
    expect(tempo("azure").serviceAccount).toEqual({
      name: "tempo",
      annotations: { "azure.workload.identity/client-id": expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    // The webhook injects the federated token only into pods with this label.
    expect(tempo("azure").podLabels).toEqual({ "azure.workload.identity/use": "true" });
    const federated = one(
      "azure",
      "azure-native:managedidentity:FederatedIdentityCredential",
      "llmops-prod-tempo",
    );
    expect(federated.inputs.subject).toBe("system:serviceaccount:monitoring:tempo");
    // Storage Blob Data Contributor on this account only, not on the resource group or Loki's account.
    const grant = one(
      "azure",
      "azure-native:authorization:RoleAssignment",
      "llmops-prod-tempo-storage",
    ).inputs;
    expect(grant).toMatchObject({ principalType: "ServicePrincipal" });
    expect(grant.roleDefinitionId).toMatch(/ba92f5b4-2d11-453d-a403-e96b0029c9fe$/);
    expect(grant.scope).toMatch(/\/llmops-prod-traces$/);
  });
});

describe("placement: both on the system pool where the stack has one", () => {
  it("prod pins them to system nodes on every cloud; dev (workload pool only) leaves them unpinned", () => {
    for (const cloud of CLOUDS) {
      for (const name of ["otel-collector", "tempo"]) {
        expect(values(plan("prod", cloud), name).nodeSelector).toEqual({ "llmops.io/pool-role": "system" });
        expect(values(plan("dev", cloud), name).nodeSelector).toBeUndefined();
      }
    }
  });
});

describe("network flows", () => {
  const policies = (p: Plan, ns: string) =>
    p.objects("NetworkPolicy").filter((o) => o.metadata.namespace === ns);

  it("the app namespace reaches the collector's OTLP ports, nothing else in monitoring gains ingress", () => {
    for (const [key, p] of everyPlan()) {
      const np = policies(p, "monitoring").find((o) => o.metadata.name === "allow-ingress-otel-collector");
      expect([key, np?.spec]).toEqual([
        key,
        {
          podSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "opentelemetry-collector",
              "app.kubernetes.io/instance": "otel-collector",
            },
          },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llmops" } } }],
              ports: [
                { port: 4317, protocol: "TCP" },
                { port: 4318, protocol: "TCP" },
              ],
            },
          ],
        },
      ]);
    }
  });

  it("collector -> Tempo and Grafana -> Tempo are same-namespace flows the namespace admits", () => {
    const same = policies(plan("prod"), "monitoring").find((o) => o.metadata.name === "allow-same-namespace");
    expect(same.spec).toMatchObject({
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    });
  });

  it("Tempo reaches its object store as Loki does: HTTPS out of the namespace and the node's metadata endpoint (GKE tokens)", () => {
    for (const [key, p] of everyPlan()) {
      const tempoPods = { "app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo" };
      const selects = (np: any) =>
        Object.entries(np.spec.podSelector.matchLabels ?? {}).every(([k, v]) => (tempoPods as any)[k] === v);
      const egress = policies(p, "monitoring")
        .filter((np) => np.spec.policyTypes.includes("Egress") && selects(np))
        .flatMap((np) => np.spec.egress ?? []);
      expect([key, egress]).toEqual([
        key,
        expect.arrayContaining([
          expect.objectContaining({
            to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
            ports: expect.arrayContaining([{ port: 443, protocol: "TCP" }]),
          }),
          { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ port: 80, protocol: "TCP" }] },
        ]),
      ]);
    }
  });

  it("every service may send to the collector's OTLP/HTTP port, and only that port", () => {
    for (const name of SERVICES) {
      const np = plan("prod")
        .objects("NetworkPolicy", name)
        .find((o) => o.metadata.namespace === "llmops");
      const toCollector = np.spec.egress.filter((e: any) =>
        e.to.some(
          (t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "opentelemetry-collector",
        ),
      );
      expect([name, toCollector]).toEqual([
        name,
        [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
                podSelector: {
                  matchLabels: {
                    "app.kubernetes.io/name": "opentelemetry-collector",
                    "app.kubernetes.io/instance": "otel-collector",
                  },
                },
              },
            ],
            ports: [{ protocol: "TCP", port: 4318 }],
          },
        ],
      ]);
    }
  });
});

describe("services: every one exports its spans to the collector", () => {
  it("each ConfigMap names the collector's OTLP/HTTP endpoint and the service, values its env schema accepts", () => {
    for (const [key, p] of everyPlan()) {
      for (const contract of CONTRACTS) {
        const data = p.objects("ConfigMap", `${contract.name}-config`)[0].data;
        expect([key, data.OTEL_EXPORTER_OTLP_ENDPOINT, data.OTEL_SERVICE_NAME]).toEqual([
          key,
          "http://otel-collector.monitoring.svc.cluster.local:4318",
          contract.name,
        ]);
        const parsed = contract.env.safeParse(data);
        expect(parsed.error?.issues.filter((i) => String(i.path[0]).startsWith("OTEL_")) ?? []).toEqual([]);
      }
    }
  });
});

describe("Grafana: Tempo as a datasource, linked to Loki both ways", () => {
  it("Tempo's datasource finds a span's logs in Loki by service and trace id", () => {
    for (const [key, p] of everyPlan()) {
      const tempo = grafanaSources(p).find((d: any) => d.type === "tempo");
      expect([key, tempo]).toEqual([
        key,
        expect.objectContaining({ uid: "tempo", url: "http://tempo.monitoring.svc.cluster.local:3200" }),
      ]);
      expect(tempo.jsonData.tracesToLogsV2).toMatchObject({
        datasourceUid: "loki",
        filterByTraceID: true,
        tags: [{ key: "service.name", value: "app" }],
      });
    }
  });

  it("a Loki line with a trace id links to the trace in Tempo (escaped from Grafana's env expansion)", () => {
    const loki = grafanaSources(plan("prod")).find((d: any) => d.type === "loki");
    const [field] = loki.jsonData.derivedFields;
    expect(field).toMatchObject({ datasourceUid: "tempo", url: "$${__value.raw}" });
    expect(new RegExp(field.matcherRegex).exec(`{"level":30,"traceId":"${"ab".repeat(16)}"}`)?.[1]).toBe(
      "ab".repeat(16),
    );
  });
});

describe("platform.tracing.enabled: false (a dev stack may switch it off)", () => {
  it("installs neither release, no datasource, no flow, no endpoint", () => {
    const names = off.ofType(RELEASE).map((r) => r.name);
    expect(names).not.toContain("otel-collector");
    expect(names).not.toContain("tempo");
    expect(grafanaSources(off).map((d: any) => d.type)).toEqual(["loki"]);
    expect(off.objects("NetworkPolicy", "allow-ingress-otel-collector")).toEqual([]);
    const router = off.objects("NetworkPolicy", "router").find((o) => o.metadata.namespace === "llmops");
    expect(JSON.stringify(router.spec.egress)).not.toContain("opentelemetry-collector");
    // Without the endpoint the services load no tracer at all.
    for (const name of SERVICES)
      expect(
        Object.keys(off.objects("ConfigMap", `${name}-config`)[0].data).filter((k) => k.startsWith("OTEL_")),
      ).toEqual([]);
  });
});
