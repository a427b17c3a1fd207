/**
 * The apps layer as a specification: for each of the four services, the objects LlmService emits
 * and the fields the production checklists and the service contracts fix, in dev and prod, on
 * more than one cloud; every manifest validates against its schema; the prod plan has no policy
 * violation on an apps resource.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { validateManifests } from "../../infra/offline/manifests.ts";
import { consumerGroupId, postgresRole } from "../../services/shared/src/contract.ts";
import { parseCatalogue } from "../../services/router/src/catalogue.ts";
import { CONTRACTS } from "../../services/services.ts";
import { type Plan, planStack } from "../helpers/plan.ts";
import { APP_NS as NS, appsManifests as apps, appsObject as obj, expectTokenLogin } from "./apps-plan.ts";

const SERVICES = ["router", "trace-proxy", "cost-api", "sentinel"] as const;
type Service = (typeof SERVICES)[number];
const HPA_SERVICES: Service[] = ["router", "trace-proxy"];
const KEDA_SERVICES: Service[] = ["cost-api", "sentinel"];
const DB_SERVICES: Service[] = ["trace-proxy", "cost-api", "sentinel"];
const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "environment",
];

let prod: Plan;
let dev: Plan;
let gcp: Plan;
let azure: Plan;

beforeAll(() => {
  prod = planStack("prod");
  dev = planStack("dev");
  gcp = planStack("prod", { cloud: "gcp" });
  azure = planStack("prod", { cloud: "azure" });
});

const deploymentOf = (plan: Plan, s: Service) => obj(plan, "Deployment", s);
const podOf = (plan: Plan, s: Service) => deploymentOf(plan, s).spec.template.spec;
const containerOf = (plan: Plan, s: Service) => podOf(plan, s).containers.find((c: any) => c.name === s);
const configOf = (plan: Plan, s: Service) => obj(plan, "ConfigMap", `${s}-config`).data;
const netpolOf = (plan: Plan, s: Service) => obj(plan, "NetworkPolicy", s).spec;

const plans = () =>
  [
    ["prod", prod],
    ["dev", dev],
    ["prod on gcp", gcp],
  ] as const;

describe("every service gets the full object set", () => {
  it.each(SERVICES)(
    "%s: Deployment, ServiceAccount, Service, ConfigMap, ExternalSecret, NetworkPolicy, DestinationRule, PDB, ServiceMonitor, PrometheusRule, dashboard",
    (s) => {
      for (const [, plan] of plans()) {
        for (const kind of [
          "Deployment",
          "ServiceAccount",
          "Service",
          "NetworkPolicy",
          "DestinationRule",
          "PodDisruptionBudget",
          "ServiceMonitor",
          "PrometheusRule",
        ])
          expect(obj(plan, kind, s)).toBeDefined();
        expect(obj(plan, "ConfigMap", `${s}-config`)).toBeDefined();
        expect(obj(plan, "ExternalSecret", `${s}-secrets`).apiVersion).toBe("external-secrets.io/v1");
        expect(obj(plan, "ConfigMap", `${s}-dashboard`, "monitoring")).toBeDefined();
      }
    },
  );

  it("router and trace-proxy scale with an HPA and are routed; cost-api and sentinel scale with KEDA and are not", () => {
    for (const [, plan] of plans()) {
      for (const s of HPA_SERVICES) {
        expect(obj(plan, "HorizontalPodAutoscaler", s)).toBeDefined();
        expect(obj(plan, "HTTPRoute", s)).toBeDefined();
      }
      for (const s of KEDA_SERVICES) {
        expect(obj(plan, "ScaledObject", s)).toBeDefined();
        expect(apps(plan).filter((m) => m.kind === "HTTPRoute" && m.metadata.name === s)).toHaveLength(0);
      }
    }
  });

  it("the namespace gets a ResourceQuota and a LimitRange", () => {
    for (const [, plan] of plans()) {
      expect(obj(plan, "ResourceQuota", "apps")).toBeDefined();
      expect(obj(plan, "LimitRange", "apps")).toBeDefined();
    }
  });

  it("every object has an explicit name, a namespace (if namespaced) and the seven required labels", () => {
    for (const [, plan] of plans())
      for (const m of apps(plan)) {
        expect(m.metadata.name, `${m.kind}`).toBeTruthy();
        expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBeTruthy();
        for (const l of REQUIRED_LABELS)
          expect(m.metadata.labels?.[l], `${m.kind}/${m.metadata.name} ${l}`).toBeTruthy();
      }
  });
});

describe("manifests", () => {
  it("every apps manifest validates against its schema (core and CRDs)", async () => {
    for (const [, plan] of plans()) {
      const objects = apps(plan).map((manifest, i) => ({ urn: String(i), manifest }));
      const results = await validateManifests(objects);
      const problems = results
        .filter((r) => r.errors.length > 0 || !r.schemaSource)
        .map((r) => `${r.manifest.kind}/${r.manifest.metadata.name}: ${r.errors.join("; ") || "no schema"}`);
      expect(problems).toEqual([]);
    }
  });

  it("the prod plan has no policy violation on an apps resource", () => {
    for (const plan of [prod, gcp]) {
      const mine = plan.sarif.runs[0].results.filter((r: any) =>
        JSON.stringify(r.locations ?? []).includes("llmops:apps:"),
      );
      expect(mine.map((r: any) => `${r.ruleId}: ${r.message.text}`)).toEqual([]);
    }
  });

  it("no provider key, client key or admin key reaches a manifest (only secret-store entry names)", () => {
    for (const [, plan] of plans()) expect(JSON.stringify(apps(plan))).not.toContain("[secret]");
  });

  it("the apps layer is cloud-agnostic: GCP yields exactly the manifests AWS does, but for the cloud's data", () => {
    // What the cloud layer hands over as data differs by design: the Postgres CA bundle, and the token
    // logins: each user's name, its identity's annotations, the mode (and its env), where tokens come from.
    const TOKEN_ENV = ["DATABASE_AUTH", "AWS_REGION", "POSTGRES_ROLES_AUTH"];
    const withoutTokenEnv = (c: any) => ({
      ...c,
      env: (c.env ?? []).filter((e: any) => !TOKEN_ENV.includes(e.name)),
    });
    const TOKEN_EGRESS = [443, 80, 988];
    const cloudData = (m: any) => {
      if (m.kind === "ConfigMap" && m.metadata.name === "postgres-ca")
        return { ...m, data: "<the cloud's CA bundle>" };
      if (m.kind === "ExternalSecret" && m.metadata.name.endsWith("-postgres"))
        return { ...m, spec: { ...m.spec, target: "<the cloud's user for the login>" } };
      if (m.kind === "ServiceAccount")
        return { ...m, metadata: { ...m.metadata, annotations: "<identity>" } };
      if (m.kind === "NetworkPolicy" && m.metadata.name !== "postgres-roles")
        return {
          ...m,
          spec: {
            ...m.spec,
            egress: m.spec.egress.filter((r: any) => !TOKEN_EGRESS.includes(r.ports?.[0]?.port)),
          },
        };
      if (m.kind === "Deployment" || m.kind === "Job") {
        const pod = m.spec.template.spec;
        return {
          ...m,
          // The Job's name hashes the mode: a new mode runs it again.
          metadata: { ...m.metadata, name: m.kind === "Job" ? "<postgres-roles-hash>" : m.metadata.name },
          spec: {
            ...m.spec,
            template: {
              ...m.spec.template,
              spec: {
                ...pod,
                containers: pod.containers.map(withoutTokenEnv),
                ...(pod.initContainers ? { initContainers: pod.initContainers.map(withoutTokenEnv) } : {}),
              },
            },
          },
        };
      }
      return m;
    };
    const byId = (plan: Plan) =>
      Object.fromEntries(
        apps(plan).map((m) => [
          `${m.kind}/${m.metadata.namespace}/${m.kind === "Job" ? "postgres-roles" : m.metadata.name}`,
          cloudData(m),
        ]),
      );
    expect(byId(gcp)).toEqual(byId(prod));
  });
});

describe("Deployment", () => {
  it.each(SERVICES)("%s: image from the registry with the stack's pinned tag, never latest", (s) => {
    for (const [, plan] of plans()) {
      for (const c of [...podOf(plan, s).containers, ...(podOf(plan, s).initContainers ?? [])]) {
        expect(c.image).toBe(`ghcr.io/acme/llmops/${s}:0.1.0`);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
  });

  it("replicas: dev runs one of each; prod never fewer than three, the router five", () => {
    for (const s of SERVICES) expect(deploymentOf(dev, s).spec.replicas).toBe(1);
    expect(deploymentOf(prod, "router").spec.replicas).toBe(5);
    for (const s of SERVICES) expect(deploymentOf(prod, s).spec.replicas).toBeGreaterThanOrEqual(3);
  });

  it("resources per environment follow the seed tables (router: seed 004, cost-api: seed 003)", () => {
    expect(containerOf(dev, "router").resources).toEqual({
      requests: { cpu: "100m", memory: "512Mi" },
      limits: { cpu: "500m", memory: "2Gi" },
    });
    expect(containerOf(prod, "router").resources).toEqual({
      requests: { cpu: "1000m", memory: "4Gi" },
      limits: { cpu: "4000m", memory: "16Gi" },
    });
    expect(containerOf(dev, "cost-api").resources).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "1000m", memory: "1Gi" },
    });
    for (const [, plan] of plans())
      for (const s of SERVICES)
        for (const c of [...podOf(plan, s).containers, ...(podOf(plan, s).initContainers ?? [])])
          expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
  });

  it.each(SERVICES)(
    "%s: port http/8080 with startup, liveness (/health) and readiness (/ready) probes",
    (s) => {
      for (const [, plan] of plans()) {
        const c = containerOf(plan, s);
        expect(c.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(c.livenessProbe.httpGet).toMatchObject({ path: "/health", port: "http" });
        expect(c.readinessProbe.httpGet).toMatchObject({ path: "/ready", port: "http" });
        expect(c.startupProbe.httpGet).toMatchObject({ path: "/health", port: "http" });
        expect(configOf(plan, s).PORT).toBe("8080");
      }
    },
  );

  it.each(SERVICES)("%s: restricted security context on every container, writable /tmp only", (s) => {
    for (const [, plan] of plans()) {
      const pod = podOf(plan, s);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        const tmp = c.volumeMounts.find((v: any) => v.mountPath === "/tmp");
        expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
      }
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(obj(plan, "ServiceAccount", s).automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe(s);
    }
  });

  it.each(SERVICES)("%s: grace period covers preStop plus the app's shutdown budget", (s) => {
    for (const [, plan] of plans()) {
      const pod = podOf(plan, s);
      const preStop = containerOf(plan, s).lifecycle.preStop.sleep.seconds;
      const drain = Number(configOf(plan, s).SHUTDOWN_TIMEOUT_MS) / 1000;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drain);
    }
  });

  it("prod spreads pods across zones (hard) and hosts, with anti-affinity; dev spreads softly", () => {
    for (const plan of [prod, gcp])
      for (const s of SERVICES) {
        const pod = podOf(plan, s);
        const byKey = Object.fromEntries(pod.topologySpreadConstraints.map((t: any) => [t.topologyKey, t]));
        expect(byKey["topology.kubernetes.io/zone"].whenUnsatisfiable).toBe("DoNotSchedule");
        expect(byKey["kubernetes.io/hostname"]).toBeDefined();
        expect(
          pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
            .topologyKey,
        ).toBe("kubernetes.io/hostname");
      }
    for (const s of SERVICES)
      expect(
        podOf(dev, s).topologySpreadConstraints.every((t: any) => t.whenUnsatisfiable === "ScheduleAnyway"),
      ).toBe(true);
  });

  it.each(SERVICES)(
    "%s: env only from its ConfigMap and ExternalSecret-managed Secrets, never literal",
    (s) => {
      for (const [, plan] of plans()) {
        const c = containerOf(plan, s);
        expect(c.envFrom).toEqual([
          { configMapRef: { name: `${s}-config` } },
          { secretRef: { name: `${s}-secrets` } },
          ...((DB_SERVICES as readonly string[]).includes(s)
            ? [{ secretRef: { name: `${s}-postgres` } }]
            : []),
        ]);
        // The only literal values: how a Postgres user logs in (the cloud layer's mode and its env).
        const literal = (c.env ?? []).filter((e: any) => e.value !== undefined).map((e: any) => e.name);
        const cloud = plan.inventory.config.cloud;
        expect(literal).toEqual(
          (DB_SERVICES as readonly string[]).includes(s)
            ? ["DATABASE_AUTH", ...(cloud === "aws" ? ["AWS_REGION"] : [])]
            : [],
        );
        expect(configOf(plan, s).KAFKA_BROKERS).toBe("llmops-kafka-bootstrap.kafka.svc:9093");
      }
    },
  );

  it.each(SERVICES)("%s: mounts its KafkaUser TLS secret and the cluster CA", (s) => {
    for (const [, plan] of plans()) {
      const volumes = podOf(plan, s).volumes;
      expect(volumes.find((v: any) => v.secret?.secretName === s)).toBeDefined();
      // The cluster CA (to verify the brokers) comes from the platform's Secret in this namespace.
      const ca = volumes.find((v: any) => v.name === "kafka-ca");
      expect(ca.secret.secretName).toBeTruthy();
      expect(ca.secret.items).toEqual([{ key: "ca.crt", path: "ca.crt" }]);
      const cfg = configOf(plan, s);
      for (const k of ["KAFKA_SSL_CA_FILE", "KAFKA_SSL_CERT_FILE", "KAFKA_SSL_KEY_FILE"]) {
        const path = cfg[k] as string;
        expect(containerOf(plan, s).volumeMounts.some((m: any) => path.startsWith(`${m.mountPath}/`))).toBe(
          true,
        );
      }
    }
  });

  it.each(SERVICES)("%s: its KafkaUser waits for the Strimzi operator (CRDs) and the Kafka cluster", (s) => {
    const user = prod.inventory.resources.find(
      (r) => r.inputs?.kind === "KafkaUser" && r.inputs.metadata.name === s,
    )!;
    expect(user.urn).toContain("llmops:apps:LlmService");
    expect(user.inputs.metadata.labels["strimzi.io/cluster"]).toBe("llmops");
    const urnOf = (type: string, name: string) => prod.one(type, name).urn;
    expect(user.dependsOn).toContain(urnOf("kubernetes:helm.sh/v3:Release", "strimzi-kafka-operator"));
    expect(user.dependsOn).toContain(urnOf("kubernetes:kafka.strimzi.io/v1:Kafka", "llmops"));
  });

  it("the event flow: each KafkaUser's ACLs cover what its service consumes and produces, under its consumer group", () => {
    const flows: Record<Service, { consumes: string[]; produces: string[] }> = {
      router: { consumes: ["llm.anomalies"], produces: [] },
      "trace-proxy": { consumes: ["llm.budgets"], produces: ["llm.traces"] },
      "cost-api": { consumes: ["llm.traces"], produces: ["llm.budgets"] },
      sentinel: { consumes: ["llm.traces"], produces: ["llm.anomalies"] },
    };
    for (const s of SERVICES) {
      const user = prod
        .objects("KafkaUser")
        .find((u) => u.metadata.namespace === NS && u.metadata.name === s);
      const acls: any[] = user.spec.authorization.acls;
      const allows = (type: string, name: string, op: string) =>
        acls.some(
          (a) =>
            a.resource.type === type &&
            (a.resource.patternType === "prefix"
              ? name.startsWith(a.resource.name)
              : a.resource.name === name) &&
            a.operations.includes(op),
        );
      for (const t of flows[s].consumes) expect(allows("topic", t, "Read"), `${s} reads ${t}`).toBe(true);
      for (const t of flows[s].produces) expect(allows("topic", t, "Write"), `${s} writes ${t}`).toBe(true);
      if (flows[s].consumes.length)
        expect(allows("group", configOf(prod, s).KAFKA_CONSUMER_GROUP, "Read")).toBe(true);
      expect(podOf(prod, s).volumes.some((v: any) => v.secret?.secretName === user.metadata.name)).toBe(true);
    }
  });

  it("migrations run as an init container before the app for the Postgres users, not for the router", () => {
    for (const [, plan] of plans()) {
      for (const s of DB_SERVICES) {
        const [init] = podOf(plan, s).initContainers;
        expect(init.name).toBe("migrate");
        expect(init.args).toEqual(["dist/migrate.mjs"]);
        expect(init.envFrom).toContainEqual({ secretRef: { name: `${s}-secrets` } });
        expect(init.envFrom).toContainEqual({ secretRef: { name: `${s}-postgres` } });
      }
      expect(podOf(plan, "router").initContainers).toBeUndefined();
    }
  });

  it("service-specific settings use the contracts' variable names", () => {
    expect(configOf(prod, "router")).toMatchObject({
      ROUTING_STRATEGY: "balanced",
      MAX_CONCURRENT_REQUESTS: "100",
      WS_MAX_CONNECTIONS: "1000",
      CACHE_ENABLED: "true",
      TRACE_PROXY_URL: "http://trace-proxy.llmops.svc.cluster.local:8080",
    });
    expect(configOf(prod, "trace-proxy")).toMatchObject({
      PROVIDERS: "openai=https://api.openai.com/v1,anthropic=https://api.anthropic.com/v1",
      DEFAULT_PROVIDER: "openai",
      TIMEOUT_MS: "30000",
      MAX_CONNECTIONS: "1000",
      STORAGE_PROFILE: "production",
      SECURITY_ANALYSIS: "on",
      COST_API_URL: "http://cost-api.llmops.svc.cluster.local:8080",
    });
    // A budget is shared out over the most proxy pods that can run at once: the autoscaler's ceiling
    // plus a rollout's surge, so the shares never add up to more than what is left.
    for (const plan of [prod, dev]) {
      const max = obj(plan, "HorizontalPodAutoscaler", "trace-proxy").spec.maxReplicas as number;
      const maxSurge = obj(plan, "Deployment", "trace-proxy").spec.strategy.rollingUpdate.maxSurge as string;
      const peak = max + Math.ceil((max * Number.parseInt(maxSurge, 10)) / 100);
      expect(Number(configOf(plan, "trace-proxy").BUDGET_REPLICAS)).toBe(peak);
    }
    // The router's catalogue from the stack's providers: one group per model, valid as the router reads it.
    const file = obj(prod, "ConfigMap", "router-files").data["catalogue.json"];
    const catalogue = parseCatalogue(JSON.parse(file), "catalogue.json");
    expect([...catalogue.groups.keys()]).toEqual([
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
    ]);
    expect(catalogue.resolve("gpt-4o-mini")!.deployments.map((d) => d.provider)).toEqual(["openai"]);
    expect(configOf(prod, "router").ROUTER_PROVIDERS_FILE).toBe("/etc/llmops/catalogue.json");
  });
});

describe("secrets", () => {
  const keys = (plan: Plan, s: Service) =>
    obj(plan, "ExternalSecret", `${s}-secrets`)
      .spec.data.map((d: any) => d.secretKey)
      .sort();

  it("each service gets exactly the secrets it needs, from the platform's ClusterSecretStore", () => {
    // Every service authenticates (the runtime's authenticate plugin): tenant and admin keys.
    expect(keys(prod, "router")).toEqual(["ADMIN_API_KEYS", "API_KEYS"]);
    // DATABASE_URL comes from each Postgres user's own credentials (see "Postgres roles").
    expect(keys(prod, "trace-proxy")).toEqual([
      "ADMIN_API_KEYS",
      "ANTHROPIC_API_KEY",
      "API_KEYS",
      "OPENAI_API_KEY",
    ]);
    expect(keys(prod, "cost-api")).toEqual(["ADMIN_API_KEYS", "API_KEYS"]);
    // Prod configures the anomaly webhook (Pulumi.prod.yaml alerting.anomalyWebhookUrl/Secret); dev does not.
    expect(keys(prod, "sentinel")).toEqual(["ADMIN_API_KEYS", "API_KEYS", "WEBHOOK_SECRET", "WEBHOOK_URL"]);
    expect(keys(dev, "sentinel")).toEqual(["ADMIN_API_KEYS", "API_KEYS"]);
    for (const s of SERVICES) {
      const spec = obj(prod, "ExternalSecret", `${s}-secrets`).spec;
      expect(spec.secretStoreRef).toEqual({ kind: "ClusterSecretStore", name: "cloud-secrets" });
      expect(spec.target.name).toBe(`${s}-secrets`);
    }
  });

  it("the sentinel's anomaly webhook: URL and signing key from the alerting entry, HTTPS egress to reach it", () => {
    const data = obj(prod, "ExternalSecret", "sentinel-secrets").spec.data;
    const ref = (k: string) => data.find((d: any) => d.secretKey === k).remoteRef;
    expect(ref("WEBHOOK_URL")).toEqual({ key: "llmops-prod-alerting", property: "anomalyWebhookUrl" });
    expect(ref("WEBHOOK_SECRET")).toEqual({ key: "llmops-prod-alerting", property: "anomalyWebhookSecret" });
    const https = (plan: Plan) =>
      netpolOf(plan, "sentinel").egress.filter((r: any) =>
        r.to.some((t: any) => t.ipBlock?.cidr === "0.0.0.0/0"),
      );
    // On GKE its Postgres token comes from the node's metadata server: HTTPS is the webhook's alone.
    for (const plan of [prod, gcp])
      expect(https(plan)).toEqual([expect.objectContaining({ ports: [{ protocol: "TCP", port: 443 }] })]);
    // Nothing of the webhook is literal in a manifest.
    expect(JSON.stringify(obj(prod, "ConfigMap", "sentinel-config"))).not.toMatch(/WEBHOOK/);
  });
});

describe("Postgres roles: each Postgres user connects as its own role, never as the admin login", () => {
  const POSTGRES_USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);
  const job = (plan: Plan) => {
    const jobs = apps(plan).filter((m) => m.kind === "Job");
    expect(jobs).toHaveLength(1);
    return jobs[0];
  };
  const storeEntry = (plan: Plan) =>
    obj(plan, "ExternalSecret", "postgres-admin").spec.data[0].remoteRef.key as string;

  it("the Postgres users are the contracts' (the list is not repeated in the infra)", () => {
    expect(POSTGRES_USERS.sort()).toEqual([...DB_SERVICES].sort());
  });

  const clouds = () =>
    [
      ["aws", prod],
      ["gcp", gcp],
      ["azure", azure],
    ] as const;
  /** The cloud layer's user for a service's login: its role, or on GCP its IAM user (the GSA's email sans suffix). */
  const userOf = (cloud: string, s: Service) =>
    cloud === "gcp" ? `llmops-prod-db-${s}@acme-llmops-prod.iam` : postgresRole(s);
  const MODE = { aws: "aws-iam", gcp: "gcp-iam", azure: "azure-entra" } as const;

  it.each(DB_SERVICES)(
    "%s: its own DATABASE_URL names the cloud's user for its login and carries no password; no password is generated",
    (s) => {
      for (const [cloud, plan] of clouds()) {
        const url = expectTokenLogin(plan, `${s}-postgres`, userOf(cloud, s));
        // The IAM user's @ is escaped: the URL still parses to exactly that user.
        if (cloud === "gcp") expect(url.username).toBe(`llmops-prod-db-${s}%40acme-llmops-prod.iam`);
        for (const c of [...podOf(plan, s).initContainers, ...podOf(plan, s).containers])
          expect(c.envFrom, `${s}/${c.name}`).toContainEqual({ secretRef: { name: `${s}-postgres` } });
      }
    },
  );

  it.each(DB_SERVICES)(
    "%s: the app and its migrations log in with the cloud's token mode (AWS: and the region RDS signs for)",
    (s) => {
      for (const [cloud, plan] of clouds()) {
        const pod = podOf(plan, s);
        for (const c of [...pod.initContainers, ...pod.containers]) {
          const env = (c.env ?? []).filter((e: any) => e.value !== undefined);
          expect(env, `${cloud} ${s}/${c.name}`).toEqual([
            { name: "DATABASE_AUTH", value: MODE[cloud] },
            ...(cloud === "aws" ? [{ name: "AWS_REGION", value: "us-east-1" }] : []),
          ]);
        }
      }
      expect(
        (podOf(prod, "router").containers[0].env ?? []).filter((e: any) => e.name === "DATABASE_AUTH"),
      ).toEqual([]);
    },
  );

  it.each(DB_SERVICES)("%s: its ServiceAccount assumes its own login's cloud identity", (s) => {
    const annotations = (plan: Plan) => obj(plan, "ServiceAccount", s).metadata.annotations;
    expect(annotations(prod)).toEqual({
      "eks.amazonaws.com/role-arn": expect.stringContaining(`llmops-prod-db-${s}`),
    });
    expect(annotations(gcp)).toEqual({
      "iam.gke.io/gcp-service-account": `llmops-prod-db-${s}@acme-llmops-prod.iam.gserviceaccount.com`,
    });
    expect(annotations(azure)).toEqual({
      "azure.workload.identity/client-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // Entra's webhook injects the token only into labelled pods; IRSA and GKE need no label.
    expect(deploymentOf(azure, s).spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    for (const plan of [prod, gcp])
      expect(deploymentOf(plan, s).spec.template.metadata.labels).not.toHaveProperty(
        "azure.workload.identity/use",
      );
    // Each login its own identity.
    const ids = DB_SERVICES.map(
      (u) => obj(azure, "ServiceAccount", u).metadata.annotations["azure.workload.identity/client-id"],
    );
    expect(new Set(ids).size).toBe(DB_SERVICES.length);
    expect(obj(prod, "ServiceAccount", "router").metadata.annotations).toBeUndefined();
  });

  it.each(DB_SERVICES)(
    "%s: its pods reach the token endpoint: GKE's metadata server; HTTPS to public addresses on EKS and AKS",
    (s) => {
      const egress = (plan: Plan) => netpolOf(plan, s).egress;
      expect(egress(gcp)).toEqual(
        expect.arrayContaining([
          { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ port: 80, protocol: "TCP" }] },
          { to: [{ ipBlock: { cidr: "169.254.169.252/32" } }], ports: [{ port: 988, protocol: "TCP" }] },
        ]),
      );
      for (const plan of [prod, azure]) {
        expect(egress(plan)).toContainEqual({
          to: [
            {
              ipBlock: {
                cidr: "0.0.0.0/0",
                except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"],
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 443 }],
        });
        // The node's metadata endpoint stays closed where tokens do not come from it.
        expect(JSON.stringify(egress(plan))).not.toContain("169.254.169.254");
      }
      // The mesh lets the token request out: its outbound traffic is not limited to known services.
      for (const plan of [prod, gcp, azure]) {
        const istiod = plan.one("kubernetes:helm.sh/v3:Release", "istiod").inputs.values.meshConfig;
        expect(istiod.outboundTrafficPolicy?.mode ?? "ALLOW_ANY").toBe("ALLOW_ANY");
      }
      // Never twice the same rule (trace-proxy's provider HTTPS is the token service's too).
      for (const plan of [prod, azure]) {
        const rules = egress(plan).map((r: any) => JSON.stringify(r));
        expect(new Set(rules).size).toBe(rules.length);
      }
    },
  );

  it("only the roles Job reads the admin login: no service's secret or pod refers to it", () => {
    for (const [, plan] of plans()) {
      const readers = apps(plan).filter(
        (m) =>
          m.kind === "ExternalSecret" &&
          (m.spec.data ?? []).some(
            (d: any) => d.remoteRef.key === storeEntry(plan) && d.remoteRef.property === "url",
          ),
      );
      expect(readers.map((m) => m.metadata.name)).toEqual(["postgres-admin"]);
      for (const s of SERVICES)
        for (const c of [...(podOf(plan, s).initContainers ?? []), ...podOf(plan, s).containers])
          expect(c.envFrom).not.toContainEqual({ secretRef: { name: "postgres-admin" } });
      expect(job(plan).spec.template.spec.containers[0].envFrom).toEqual([
        { secretRef: { name: "postgres-admin" } },
      ]);
    }
  });

  it("one admin Job provisions every Postgres user's role from that user's own Secret", () => {
    for (const [, plan] of plans()) {
      const pod = job(plan).spec.template.spec;
      expect(pod.containers).toHaveLength(1);
      // The roles step of every Postgres user's own image, one after the other: each moves its own
      // service's data of the layout before per-service roles out of public (only its image knows its
      // migrations), and every step provisions every role.
      const steps = [...(pod.initContainers ?? []), ...pod.containers];
      expect(steps.map((c: any) => c.image).sort()).toEqual(
        DB_SERVICES.map((s) => containerOf(plan, s).image).sort(),
      );
      for (const c of steps) {
        expect(c.args).toEqual(["dist/roles.mjs"]);
        expect(c.volumeMounts).toEqual(steps[0].volumeMounts);
        expect(c.env).toEqual(steps[0].env);
        expect(c.envFrom).toEqual([{ secretRef: { name: "postgres-admin" } }]);
      }
      const [c] = pod.containers;
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      expect(env.DATABASE_CA_FILE).toBe("/etc/postgres-ca/ca.pem");
      const mounted = c.volumeMounts
        .filter((m: any) => m.mountPath.startsWith(`${env.POSTGRES_ROLES_DIR}/`))
        .map((m: any) => {
          const volume = pod.volumes.find((v: any) => v.name === m.name);
          expect(m.readOnly).toBe(true);
          expect(volume.secret.items).toEqual([{ key: "DATABASE_URL", path: "url" }]);
          return [m.mountPath.slice(env.POSTGRES_ROLES_DIR.length + 1), volume.secret.secretName];
        });
      expect(Object.fromEntries(mounted)).toEqual(
        Object.fromEntries(DB_SERVICES.map((s) => [s, `${s}-postgres`])),
      );
      expect(c.volumeMounts).toContainEqual({
        name: "postgres-ca",
        mountPath: "/etc/postgres-ca",
        readOnly: true,
      });
    }
  });

  it("the Job runs outside the mesh, restricted, token-less, with egress to Postgres only", () => {
    const spec = job(prod).spec;
    expect(spec.backoffLimit).toBeGreaterThan(0);
    expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
    const pod = spec.template;
    // A sidecar would never exit, and the Job talks only to the managed server, outside the mesh.
    expect(pod.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(pod.spec.restartPolicy).toBe("Never");
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers])
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    const policy = obj(prod, "NetworkPolicy", "postgres-roles").spec;
    expect(policy.podSelector.matchLabels).toEqual({
      "app.kubernetes.io/name": "postgres-roles",
      "app.kubernetes.io/instance": pod.metadata.labels["app.kubernetes.io/instance"],
    });
    expect(policy.ingress).toEqual([]);
    expect(policy.egress).toHaveLength(1);
    expect(policy.egress[0].ports).toEqual([{ protocol: "TCP", port: 5432 }]);
  });

  it("the Job provisions the services for the cloud's token mode; on AWS and GCP its own login is the password admin", () => {
    for (const [cloud, plan] of [
      ["aws", prod],
      ["gcp", gcp],
    ] as const) {
      const pod = job(plan).spec.template;
      for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
        expect(env.POSTGRES_ROLES_AUTH, cloud).toBe(MODE[cloud]);
        expect(env.DATABASE_AUTH, cloud).toBe("password");
        expect(env).not.toHaveProperty("AWS_REGION");
      }
      expect(obj(plan, "ServiceAccount", "postgres-roles").metadata.annotations).toBeUndefined();
      // No object ids: roles map to identities by name there.
      expect(
        apps(plan).filter((m) => m.kind === "ConfigMap" && m.metadata.name === "postgres-roles-identities"),
      ).toEqual([]);
    }
  });

  it("azure: the Job logs in as the server's Entra administrator (its own identity, a token) and reads each service's object id next to its URL", () => {
    const pod = job(azure).spec.template;
    // Its login: the administrator's principal name, no password, from the store's server fields.
    expectTokenLogin(azure, "postgres-admin", "llmops-prod-db-admin");
    expect(obj(azure, "ServiceAccount", "postgres-roles").metadata.annotations).toEqual({
      "azure.workload.identity/client-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
    expect(pod.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    const steps = [...pod.spec.initContainers, ...pod.spec.containers];
    for (const c of steps) {
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      expect(env.DATABASE_AUTH).toBe("azure-entra");
      expect(env.POSTGRES_ROLES_AUTH).toBe("azure-entra");
      expect(c.envFrom).toEqual([{ secretRef: { name: "postgres-admin" } }]);
    }
    // Each service's folder: its URL (url) and its managed identity's principal id (object-id).
    const ids = obj(azure, "ConfigMap", "postgres-roles-identities").data;
    expect(Object.keys(ids).sort()).toEqual([...DB_SERVICES].sort());
    for (const v of Object.values(ids)) expect(v).toMatch(/^[0-9a-f-]{36}$/);
    const [c] = pod.spec.containers;
    const dir = c.env.find((e: any) => e.name === "POSTGRES_ROLES_DIR").value;
    for (const s of DB_SERVICES) {
      const mount = c.volumeMounts.find((m: any) => m.mountPath === `${dir}/${s}`);
      const volume = pod.spec.volumes.find((v: any) => v.name === mount.name);
      expect(volume.projected.sources).toEqual([
        { secret: { name: `${s}-postgres`, items: [{ key: "DATABASE_URL", path: "url" }] } },
        {
          configMap: {
            name: "postgres-roles-identities",
            items: [{ key: s, path: "object-id" }],
          },
        },
      ]);
      expect(volume.projected.defaultMode).toBe(0o440);
    }
    // Postgres, and Entra's token service over HTTPS.
    const policy = obj(azure, "NetworkPolicy", "postgres-roles").spec;
    expect(policy.egress.map((r: any) => r.ports[0].port)).toEqual([5432, 443]);
    // The roles Job's own admin entry is gone from the store read: no password admin URL on Azure.
    expect(
      apps(azure).filter(
        (m) =>
          m.kind === "ExternalSecret" && (m.spec.data ?? []).some((d: any) => d.remoteRef.property === "url"),
      ),
    ).toEqual([]);
  });

  it("the Postgres users' Deployments wait for the Job (a migration never runs before its role exists); the router does not", () => {
    const jobUrn = prod.inventory.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!.urn;
    const deploymentOfType = (s: Service) =>
      prod.inventory.resources.find(
        (r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.name === s,
      )!;
    for (const s of DB_SERVICES) expect(deploymentOfType(s).dependsOn).toContain(jobUrn);
    expect(deploymentOfType("router").dependsOn).not.toContain(jobUrn);
  });
});

describe("Service, HTTPRoute, DestinationRule", () => {
  it("Services are ClusterIP with port http; nothing in the namespace is a LoadBalancer or NodePort", () => {
    for (const [, plan] of plans()) {
      for (const s of SERVICES) {
        const svc = obj(plan, "Service", s).spec;
        expect(svc.type).toBe("ClusterIP");
        expect(svc.ports.find((p: any) => p.name === "http")).toMatchObject({
          port: 8080,
          targetPort: "http",
        });
      }
      const exposed = plan
        .objects("Service")
        .filter((m) => ["LoadBalancer", "NodePort"].includes(m.spec?.type));
      expect(exposed.filter((m) => m.metadata.namespace === NS)).toEqual([]);
      expect(obj(plan, "ResourceQuota", "apps").spec.hard).toMatchObject({
        "services.loadbalancers": "0",
        "services.nodeports": "0",
      });
    }
  });

  it("HTTPRoutes attach to the platform Gateway's HTTPS listener under the stack's domain", () => {
    const parent = { kind: "Gateway", name: "public", namespace: "istio-ingress", sectionName: "https" };
    const router = obj(prod, "HTTPRoute", "router").spec;
    expect(router.parentRefs[0]).toMatchObject(parent);
    expect(router.hostnames).toEqual(["api.llm.example.com"]);
    const proxy = obj(prod, "HTTPRoute", "trace-proxy").spec;
    expect(proxy.parentRefs[0]).toMatchObject(parent);
    expect(proxy.hostnames).toEqual(["proxy.llm.example.com"]);
    expect(obj(dev, "HTTPRoute", "router").spec.hostnames).toEqual(["api.dev.llm.example.com"]);
  });

  it("route hostnames fall under the platform Gateway's HTTPS listener (so routes attach and certs cover them)", (ctx) => {
    // The Gateway is the platform layer's; until it is planned there is nothing to check against.
    if (prod.objects("Gateway", "public").length === 0) ctx.skip();
    for (const plan of [prod, dev]) {
      const gw = plan.objects("Gateway", "public")[0];
      const https = gw.spec.listeners.find((l: any) => l.name === "https");
      const suffix = https.hostname.replace(/^\*/, "");
      for (const s of HPA_SERVICES)
        for (const host of obj(plan, "HTTPRoute", s).spec.hostnames) {
          expect(host.endsWith(suffix)).toBe(true);
          expect(host.slice(0, -suffix.length)).not.toContain(".");
        }
    }
  });

  it("router /ws gets a long WebSocket timeout; metrics and health endpoints are not published", () => {
    const rules = obj(prod, "HTTPRoute", "router").spec.rules;
    const ws = rules.find((r: any) => r.matches.some((m: any) => m.path.value === "/ws"));
    expect(ws.timeouts.request).toBe("3600s");
    for (const s of HPA_SERVICES) {
      const paths = obj(prod, "HTTPRoute", s).spec.rules.flatMap((r: any) =>
        r.matches.map((m: any) => m.path.value),
      );
      expect(paths).toContain("/v1");
      for (const hidden of ["/", "/metrics", "/health", "/ready"]) expect(paths).not.toContain(hidden);
    }
  });

  it("DestinationRules pool connections, eject failing pods, and pin router sessions by consistent hash", () => {
    for (const s of SERVICES) {
      const tp = obj(prod, "DestinationRule", s).spec.trafficPolicy;
      expect(obj(prod, "DestinationRule", s).spec.host).toBe(`${s}.llmops.svc.cluster.local`);
      expect(tp.connectionPool.tcp.maxConnections).toBeGreaterThan(0);
      expect(tp.connectionPool.http.http1MaxPendingRequests).toBeGreaterThan(0);
      expect(tp.outlierDetection.baseEjectionTime).toBeDefined();
      expect(tp.tls.mode).toBe("ISTIO_MUTUAL");
    }
    expect(
      obj(prod, "DestinationRule", "router").spec.trafficPolicy.loadBalancer.consistentHash,
    ).toBeDefined();
  });
});

describe("mesh: mTLS STRICT and identity-based authorization", () => {
  const sel = (plan: Plan, s: Service) => deploymentOf(plan, s).spec.selector.matchLabels;
  const authz = (s: Service) => obj(prod, "AuthorizationPolicy", s).spec;

  it.each(SERVICES)("%s: a workload PeerAuthentication enforces STRICT mTLS on its pods", (s) => {
    for (const [, plan] of plans())
      expect(obj(plan, "PeerAuthentication", s).spec).toEqual({
        selector: { matchLabels: sel(plan, s) },
        mtls: { mode: "STRICT" },
      });
  });

  it("AuthorizationPolicies allow exactly the declared callers on the app port", () => {
    const sources = (s: Service) =>
      (authz(s).rules ?? []).flatMap((r: any) => r.from.map((f: any) => f.source));
    const callersOf = (s: Service) => CONTRACTS.filter((c) => s in c.calls).map((c) => c.name);
    const gateway = (s: Service) =>
      s === "router" || s === "trace-proxy" ? [{ namespaces: ["istio-ingress"] }] : [];
    for (const s of SERVICES) {
      // The gateway for the north-south services, then each service whose contract calls this one.
      const callers = callersOf(s).map((c) => `cluster.local/ns/llmops/sa/${c}`);
      const expected = [...gateway(s), ...(callers.length ? [{ principals: callers }] : [])];
      // ALLOW with no rules allows nothing: a service nobody calls.
      if (expected.length) expect(sources(s)).toEqual(expected);
      else expect(authz(s).rules).toBeUndefined();
      expect(authz(s)).toMatchObject({ action: "ALLOW", selector: { matchLabels: sel(prod, s) } });
      for (const r of authz(s).rules ?? []) expect(r.to).toEqual([{ operation: { ports: ["8080"] } }]);
    }
    expect(sources("trace-proxy")).toContainEqual({ principals: ["cluster.local/ns/llmops/sa/router"] });
  });
});

describe("scaling and disruption", () => {
  const hpa = (plan: Plan, s: Service) => obj(plan, "HorizontalPodAutoscaler", s).spec;
  const scaled = (plan: Plan, s: Service) => obj(plan, "ScaledObject", s).spec;

  it("HPA bounds: router 5-20 and trace-proxy 3-10 in prod, on CPU and memory; 1-3 in dev", () => {
    expect(hpa(prod, "router")).toMatchObject({ minReplicas: 5, maxReplicas: 20 });
    expect(hpa(prod, "trace-proxy")).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    for (const s of HPA_SERVICES) {
      expect(hpa(dev, s)).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
      expect(
        hpa(prod, s)
          .metrics.map((m: any) => m.resource.name)
          .sort(),
      ).toEqual(["cpu", "memory"]);
      expect(hpa(prod, s).scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: s });
    }
  });

  it("KEDA scales cost-api and sentinel on the lag of the group they really consume llm.traces in, never below 3 in prod", () => {
    for (const s of KEDA_SERVICES) {
      const decl = CONTRACTS.find((c) => c.name === s)!.consumes.find((c) => c.topic === "llm.traces")!;
      const spec = scaled(prod, s);
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(3);
      expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
      const kafka = spec.triggers.find((t: any) => t.type === "kafka");
      expect(kafka.metadata).toMatchObject({
        topic: "llm.traces",
        // The id the runtime joins with (KAFKA_CONSUMER_GROUP is the service's name).
        consumerGroup: consumerGroupId(configOf(prod, s).KAFKA_CONSUMER_GROUP, decl),
        bootstrapServers: "llmops-kafka-bootstrap.kafka.svc:9093",
      });
      expect(obj(prod, "TriggerAuthentication", kafka.authenticationRef.name)).toBeDefined();
      expect(scaled(dev, s).minReplicaCount).toBe(1);
    }
  });

  it("PDB: minAvailable 2 in prod (below replicas, so drains proceed); maxUnavailable 1 in dev", () => {
    for (const s of SERVICES) {
      const pdb = obj(prod, "PodDisruptionBudget", s).spec;
      expect(pdb.minAvailable).toBe(2);
      expect(pdb.minAvailable).toBeLessThan(deploymentOf(prod, s).spec.replicas);
      expect(pdb.selector.matchLabels).toEqual(deploymentOf(prod, s).spec.selector.matchLabels);
      expect(obj(dev, "PodDisruptionBudget", s).spec.maxUnavailable).toBe(1);
    }
  });

  it("a VerticalPodAutoscaler per listed service, recommending only (updateMode Off) beside its HPA or ScaledObject", () => {
    for (const [, plan] of plans()) {
      const vpas = apps(plan).filter((m) => m.kind === "VerticalPodAutoscaler");
      // The services come from the list (services/services.ts), none hand-picked.
      expect(vpas.map((v) => v.metadata.name).sort()).toEqual(CONTRACTS.map((c) => c.name).sort());
      for (const v of vpas) {
        const s = v.metadata.name as Service;
        expect(v.apiVersion).toBe("autoscaling.k8s.io/v1");
        expect(v.spec.targetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: s });
        expect(v.spec.updatePolicy).toEqual({ updateMode: "Off" });
        const policies = Object.fromEntries(
          v.spec.resourcePolicy.containerPolicies.map((p: any) => [p.containerName, p]),
        );
        expect(policies[s].controlledResources).toEqual(["cpu", "memory"]);
        expect(policies["istio-proxy"].mode).toBe("Off");
      }
    }
  });

  it("the VPAs wait for the recommender release that installs their CRD", () => {
    const vpa = prod.inventory.resources.find(
      (r) => r.inputs?.kind === "VerticalPodAutoscaler" && r.inputs.metadata.name === "router",
    )!;
    const release = prod.one("kubernetes:helm.sh/v3:Release", "vpa");
    expect(vpa.dependsOn).toContain(release.urn);
  });

  it("the ResourceQuota admits every service at its maximum mid-rollout, and the Postgres exporter", () => {
    const hard = obj(prod, "ResourceQuota", "apps").spec.hard;
    // The services' maxima, and the exporter's three replicas (outside the mesh), each plus the surge.
    const peak = [20, 10, 50, 12, 3].reduce((n, max) => n + Math.ceil(max * 1.25), 0);
    expect(Number(hard.pods)).toBe(peak);
  });
});

describe("NetworkPolicy: only the declared flows", () => {
  const fromNamespaces = (spec: any) =>
    spec.ingress.flatMap((r: any) =>
      r.from.map((f: any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"]),
    );
  const fromApps = (spec: any) =>
    spec.ingress
      .flatMap((r: any) =>
        r.from.map(
          (f: any) => !f.namespaceSelector && f.podSelector?.matchLabels?.["app.kubernetes.io/name"],
        ),
      )
      .filter(Boolean);
  const egressPorts = (spec: any) => spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port));
  const toApps = (spec: any) =>
    spec.egress
      .flatMap((r: any) =>
        (r.to ?? []).map(
          (t: any) =>
            !t.namespaceSelector && !t.ipBlock && t.podSelector?.matchLabels?.["app.kubernetes.io/name"],
        ),
      )
      .filter(Boolean);

  it("the namespace starts from deny-all (the platform's default-deny), which these policies open up", () => {
    for (const [, plan] of plans()) {
      const deny = plan.objects("NetworkPolicy", "default-deny").find((m) => m.metadata.namespace === NS);
      expect(deny.spec).toMatchObject({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      expect(deny.spec.ingress ?? []).toEqual([]);
      expect(deny.spec.egress ?? []).toEqual([]);
    }
  });

  it("each policy selects its own pods, in both directions", () => {
    for (const s of SERVICES) {
      const spec = netpolOf(prod, s);
      expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
      expect(spec.podSelector.matchLabels["app.kubernetes.io/name"]).toBe(s);
    }
  });

  it("gateway -> router and trace-proxy only; service -> service exactly as the contracts call; Prometheus scrapes everyone", () => {
    expect(fromNamespaces(netpolOf(prod, "router"))).toContain("istio-ingress");
    expect(fromNamespaces(netpolOf(prod, "trace-proxy"))).toContain("istio-ingress");
    for (const s of KEDA_SERVICES) expect(fromNamespaces(netpolOf(prod, s))).not.toContain("istio-ingress");
    expect(fromApps(netpolOf(prod, "trace-proxy"))).toContain("router");
    expect(toApps(netpolOf(prod, "router"))).toContain("trace-proxy");
    for (const c of CONTRACTS) {
      expect(toApps(netpolOf(prod, c.name as Service)).sort()).toEqual(Object.keys(c.calls).sort());
      const callers = CONTRACTS.filter((o) => c.name in o.calls).map((o) => o.name);
      expect(fromApps(netpolOf(prod, c.name as Service)).sort()).toEqual(callers.sort());
    }
    for (const s of SERVICES) expect(fromNamespaces(netpolOf(prod, s))).toContain("monitoring");
  });

  it("everyone -> Kafka 9093; Postgres users -> 5432; 443 only for trace-proxy (providers), with a webhook the sentinel, and on EKS/AKS the Postgres users (their token service)", () => {
    for (const s of SERVICES) {
      const spec = netpolOf(gcp, s);
      expect(egressPorts(spec)).toContain(9093);
      expect(egressPorts(spec).includes(5432)).toBe(DB_SERVICES.includes(s));
      // Prod configures the anomaly webhook; on GKE tokens come from the metadata server, not HTTPS.
      expect(egressPorts(spec).includes(443)).toBe(s === "trace-proxy" || s === "sentinel");
      for (const plan of [prod, dev, azure])
        expect(egressPorts(netpolOf(plan, s)).includes(443), s).toBe(s !== "router");
      expect(egressPorts(netpolOf(prod, "router"))).not.toContain(443);
    }
    const internet = netpolOf(prod, "trace-proxy").egress.find((r: any) => r.ports[0].port === 443);
    expect(internet.to[0].ipBlock.except).toContain("169.254.0.0/16");
  });

  it("sentinel -> Alertmanager", () => {
    const am = netpolOf(prod, "sentinel").egress.find((r: any) =>
      r.to.some((t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "alertmanager"),
    );
    expect(am.ports).toEqual([{ protocol: "TCP", port: 9093 }]);
  });

  it("sentinel -> Alertmanager is admitted by the monitoring namespace too (policies are checked at both ends)", () => {
    // The labels the operator puts on Alertmanager pods; a policy selecting a subset applies to them.
    const pod = {
      "app.kubernetes.io/name": "alertmanager",
      alertmanager: "kube-prometheus-stack-alertmanager",
    };
    const appliesToPod = (p: any) =>
      Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => (pod as any)[k] === v);
    const admits = prod
      .objects("NetworkPolicy")
      .filter((p) => p.metadata.namespace === "monitoring" && appliesToPod(p))
      .flatMap((p) => p.spec.ingress ?? [])
      .filter((r: any) =>
        r.from?.some(
          (f: any) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "llmops",
        ),
      );
    expect(admits.flatMap((r: any) => r.ports)).toEqual([{ protocol: "TCP", port: 9093 }]);
  });
});

describe("observability", () => {
  const alerts = (plan: Plan, s: Service) =>
    obj(plan, "PrometheusRule", s).spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));

  it.each(SERVICES)(
    "%s: a ServiceMonitor that selects its Service, picked up by the Prometheus release",
    (s) => {
      const sm = obj(prod, "ServiceMonitor", s);
      expect(sm.metadata.labels.release).toBe("kube-prometheus-stack");
      const svc = obj(prod, "Service", s);
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
        expect(svc.metadata.labels[k]).toBe(v);
      const portNames = svc.spec.ports.map((p: any) => p.name);
      expect(portNames).toContain(sm.spec.endpoints[0].port);
    },
  );

  it.each(SERVICES)(
    "%s: alerts for down, error rate, latency and availability SLO burn, consumer lag",
    (s) => {
      const names = new Set(alerts(prod, s).map((r: any) => r.alert as string));
      const base = s
        .split("-")
        .map((p) => p[0]!.toUpperCase() + p.slice(1))
        .join("");
      for (const suffix of [
        "Down",
        "HighErrorRate",
        "LatencySLOBurn",
        "AvailabilitySLOBurn",
        "ConsumerLagHigh",
      ])
        expect(names).toContain(`${base}${suffix}`);
      expect(obj(prod, "PrometheusRule", s).metadata.labels.release).toBe("kube-prometheus-stack");
    },
  );

  it("SLO rules read each service's own SLIs (trace-proxy: per-LLM-call metrics; others: HTTP)", () => {
    const exprs = (s: Service) =>
      obj(prod, "PrometheusRule", s)
        .spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr))
        .join("\n");
    expect(exprs("trace-proxy")).toContain('trace_proxy_requests_total{job="trace-proxy"');
    expect(exprs("trace-proxy")).toContain(
      'gen_ai_client_operation_duration_seconds_bucket{job="trace-proxy", namespace="llmops", le="10"}',
    );
    expect(exprs("cost-api")).toContain(
      'http_request_duration_seconds_bucket{job="cost-api", namespace="llmops", le="0.5"}',
    );
  });

  it("seed 000's SentinelDown (critical, 1m) and SentinelHighErrorRate (error counters) are there", () => {
    const byName = Object.fromEntries(alerts(prod, "sentinel").map((r: any) => [r.alert, r]));
    expect(byName.SentinelDown).toMatchObject({ for: "1m", labels: { severity: "critical" } });
    expect(byName.SentinelDown.expr).toContain('job="sentinel"');
    expect(byName.SentinelHighErrorRate.expr).toContain("sentinel_[a-z_]+_errors_total");
  });

  it("the sentinel pages when alerts stop reaching a sink after every retry", async () => {
    const { sentinelMetrics } = await import("../../services/sentinel/src/metrics.ts");
    const { Registry } = await import("@llmops/shared");
    const registry = new Registry();
    sentinelMetrics(registry, { engine: () => ({}) as never, consumerGroup: "g" });
    const exported = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const rule = alerts(prod, "sentinel").find((r: any) => r.alert === "SentinelAlertDeliveryFailing");
    expect(rule).toMatchObject({
      expr: 'sum by (sink) (increase(sentinel_alert_deliveries_total{job="sentinel", namespace="llmops", result="failed"}[15m])) > 0',
      for: "5m",
      labels: { severity: "critical", service: "sentinel" },
    });
    expect(exported).toContain("sentinel_alert_deliveries_total");
    expect(alerts(prod, "cost-api").map((r: any) => r.alert)).not.toContain("SentinelAlertDeliveryFailing");
  });

  it("the router's dashboard queries only metrics the router exports", async () => {
    const { routerMetrics } = await import("../../services/router/src/metrics.ts");
    const { Registry } = await import("@llmops/shared");
    const registry = new Registry();
    routerMetrics(registry);
    const exported = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const board = JSON.parse(obj(prod, "ConfigMap", "router-dashboard", "monitoring").data["router.json"]);
    const queried = board.panels.flatMap((p: any) =>
      p.targets.flatMap((t: any) =>
        [...t.expr.matchAll(/\b(router_[a-z_]+?)(?:_bucket)?\b[{(]/g)].map((m) => m[1]),
      ),
    );
    expect(queried.length).toBeGreaterThan(8);
    for (const name of queried) expect(exported, name).toContain(name);
  });

  it("the cost API's dashboard shows spend by tenant and by model, unpriced usage and ingest lag, from metrics it exports", async () => {
    const { costMetrics } = await import("../../services/cost-api/src/metrics.ts");
    const { Registry } = await import("@llmops/shared");
    const registry = new Registry();
    costMetrics(registry);
    const exported = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const board = JSON.parse(
      obj(prod, "ConfigMap", "cost-api-dashboard", "monitoring").data["cost-api.json"],
    );
    const panel = (title: RegExp) => {
      const p = board.panels.find((x: any) => title.test(x.title));
      expect(p, String(title)).toBeDefined();
      return p.targets.map((t: any) => t.expr).join("\n");
    };
    expect(panel(/^Spend by tenant/)).toContain("sum by (tenant) (rate(llm_cost_ops_cost_usd_total{");
    expect(panel(/^Spend by model/)).toContain("sum by (model) (rate(llm_cost_ops_cost_usd_total{");
    expect(panel(/^Unpriced usage/)).toContain("max(llm_cost_ops_unpriced_usage_requests{");
    expect(panel(/^Ingest lag/)).toContain(
      "histogram_quantile(0.95, sum by (le) (rate(llm_cost_ops_ingest_lag_seconds_bucket{",
    );
    const queried = board.panels.flatMap((p: any) =>
      p.targets.flatMap((t: any) =>
        [...t.expr.matchAll(/\b(llm_cost_ops_[a-z_]+?)(?:_bucket|_sum|_count)?\b[{(]/g)].map((m) => m[1]),
      ),
    );
    expect(new Set(queried).size).toBeGreaterThanOrEqual(7);
    for (const name of queried) expect(exported, name).toContain(name);
  });

  it("the cost API alerts on unpriced usage for 15 minutes and on an ingest lag p95 beyond the proxies' budget window", async () => {
    const { contract } = await import("../../services/trace-proxy/src/contract.ts");
    for (const plan of [prod, dev]) {
      const byName = Object.fromEntries(alerts(plan, "cost-api").map((r: any) => [r.alert, r]));
      expect(byName.CostApiUnpricedUsage).toMatchObject({
        expr: 'max(llm_cost_ops_unpriced_usage_requests{job="cost-api", namespace="llmops"}) > 0',
        for: "15m",
        labels: { severity: "warning", service: "cost-api" },
      });
      const windowSeconds = Number(contract.cluster.BUDGET_INGEST_WINDOW_MS) / 1000;
      expect(byName.CostApiIngestLagHigh).toMatchObject({
        expr: `histogram_quantile(0.95, sum by (le) (rate(llm_cost_ops_ingest_lag_seconds_bucket{job="cost-api", namespace="llmops"}[5m]))) > ${windowSeconds}`,
        for: "10m",
        labels: { severity: "warning", service: "cost-api" },
      });
    }
    // Only the cost API has them.
    expect(alerts(prod, "router").map((r: any) => r.alert)).not.toContain("CostApiUnpricedUsage");
  });

  it("the sentinel's dashboard shows detection, errors by kind, alert deliveries and baselines", () => {
    const board = JSON.parse(
      obj(prod, "ConfigMap", "sentinel-dashboard", "monitoring").data["sentinel.json"],
    );
    const exprs = board.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join("\n");
    for (const metric of [
      "sentinel_events_processed_total",
      "sentinel_anomalies_detected_total",
      "sentinel_detection_latency_seconds_bucket",
      "sentinel_ingestion_errors_total",
      "sentinel_detection_errors_total",
      "sentinel_storage_errors_total",
      "sentinel_alert_deliveries_total",
      "sentinel_series",
      "sentinel_baseline_value",
    ])
      expect(exprs).toContain(metric);
  });

  it.each(SERVICES)("%s: a Grafana dashboard ConfigMap the sidecar picks up", (s) => {
    const cm = obj(prod, "ConfigMap", `${s}-dashboard`, "monitoring");
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const board = JSON.parse(cm.data[`${s}.json`]);
    expect(board.panels.length).toBeGreaterThanOrEqual(6);
    expect(board.panels.every((p: any) => p.targets.length > 0)).toBe(true);
  });

  it.each(SERVICES)("%s: the dashboard puts the VPA recommendation beside the request and the usage", (s) => {
    const board = JSON.parse(obj(prod, "ConfigMap", `${s}-dashboard`, "monitoring").data[`${s}.json`]);
    const cpu = board.panels.find((p: any) => p.title.startsWith("CPU: VPA recommendation"));
    const memory = board.panels.find((p: any) => p.title.startsWith("Memory: VPA recommendation"));
    expect(cpu.targets[0].expr).toBe(
      `max(kube_customresource_vpa_container_recommendation_target{namespace="llmops", target_name="${s}", container="${s}", resource="cpu"})`,
    );
    expect(memory.targets[0].expr).toContain('resource="memory"');
    // The request line is the sizing table's figure, in the recommendation's unit.
    const request = containerOf(prod, s).resources.requests;
    const cores = request.cpu.endsWith("m") ? Number(request.cpu.slice(0, -1)) / 1000 : Number(request.cpu);
    expect(cpu.targets.find((t: any) => t.legendFormat === "request (sizing.ts)").expr).toBe(
      `vector(${cores})`,
    );
  });
});

describe("Postgres TLS: the cloud's CA bundle reaches every Postgres user", () => {
  const CA_FILE = "/etc/postgres-ca/ca.pem";

  it("one postgres-ca ConfigMap in the app namespace with the cloud's PEM bundle", () => {
    for (const [, plan] of plans()) {
      const data = obj(plan, "ConfigMap", "postgres-ca").data;
      expect(Object.keys(data)).toEqual(["ca.pem"]);
      expect(data["ca.pem"]).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    }
    expect(obj(gcp, "ConfigMap", "postgres-ca").data["ca.pem"]).not.toBe(
      obj(prod, "ConfigMap", "postgres-ca").data["ca.pem"],
    );
  });

  it.each(DB_SERVICES)(
    "%s: DATABASE_CA_FILE names the bundle, mounted read-only into migrate and app",
    (s) => {
      for (const [, plan] of plans()) {
        expect(configOf(plan, s).DATABASE_CA_FILE).toBe(CA_FILE);
        const pod = podOf(plan, s);
        const volume = pod.volumes.find((v: any) => v.configMap?.name === "postgres-ca");
        expect(volume.configMap.items).toEqual([{ key: "ca.pem", path: "ca.pem" }]);
        for (const c of [...pod.initContainers, ...pod.containers]) {
          const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
          expect(mount, `${s}/${c.name}`).toEqual({
            name: volume.name,
            mountPath: "/etc/postgres-ca",
            readOnly: true,
          });
        }
      }
    },
  );

  it("router (no Postgres) neither mounts the bundle nor sets DATABASE_CA_FILE", () => {
    expect(configOf(prod, "router").DATABASE_CA_FILE).toBeUndefined();
    expect(podOf(prod, "router").volumes.map((v: any) => v.name)).not.toContain("postgres-ca");
  });

  it("the CA file the apps layer mounts is the one the services' runtime reads", () => {
    for (const s of DB_SERVICES)
      expect(Object.keys(CONTRACTS.find((c) => c.name === s)!.env.shape ?? {})).toContain("DATABASE_CA_FILE");
  });
});

describe("placement", () => {
  it.each(SERVICES)("%s: runs on workload nodes only", (s) => {
    for (const [, plan] of plans())
      expect(podOf(plan, s).nodeSelector).toEqual({ "llmops.io/pool-role": "workload" });
  });
});
