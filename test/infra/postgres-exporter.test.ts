/**
 * Postgres metrics as a specification: postgres_exporter (prometheus-community's chart at its pin)
 * in the app namespace beside the roles Job, logging in as the monitoring login with a password
 * generated in the cluster, verifying the server's certificate against the cloud's CA bundle,
 * restricted like the services, reachable from Prometheus only and reaching Postgres only, scraped
 * through a ServiceMonitor; and the platform's Postgres dashboard and alerts, reading only metrics
 * the exporter publishes at its appVersion. Planned in dev and prod on every cloud.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { APP_NAMESPACE_IMAGES, CHARTS } from "../../infra/platform/versions.ts";
import { POSTGRES_MONITOR_ROLE } from "../../services/shared/src/contract.ts";
import { helmMerge, unknownChartKeys } from "../helpers/chart-values.ts";
import { APP_NS as NS, appsObject as obj, expectGeneratedLogin } from "./apps-plan.ts";
import { type Plan, planStackAsync, ROOT } from "../helpers/plan.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CLOUDS = ["aws", "gcp", "azure"] as const;
const CA_FILE = "/etc/postgres-ca/ca.pem";

/**
 * What postgres_exporter v0.20.1 publishes from its default-enabled collectors, read in its
 * collector/*.go at that tag: pg_stat_database.go (stat_database_*), pg_database.go
 * (database_size_bytes), pg_stat_activity.go (stat_activity_max_tx_duration), pg_setting.go
 * (settings_<name>), pg_replication.go (replication_*); `pg_up` is the exporter's own.
 */
const EXPORTED = new Set([
  "pg_up",
  "pg_stat_database_numbackends",
  "pg_stat_database_xact_commit",
  "pg_stat_database_xact_rollback",
  "pg_stat_database_blks_hit",
  "pg_stat_database_blks_read",
  "pg_stat_database_deadlocks",
  "pg_database_size_bytes",
  "pg_stat_activity_max_tx_duration",
  "pg_settings_max_connections",
  "pg_replication_lag_seconds",
  "pg_replication_is_replica",
]);
const metricsOf = (exprs: string[]) => [...new Set(exprs.flatMap((e) => e.match(/\bpg_[a-z_]+\b/g) ?? []))];

const plans: Record<string, Plan> = {};
const plan = (env: "dev" | "prod", cloud: (typeof CLOUDS)[number] = "aws") => plans[`${env}-${cloud}`]!;

beforeAll(async () => {
  // Two at a time: the machine's cores are shared and each plan is a full program run.
  const queue = CLOUDS.flatMap((cloud) => (["prod", "dev"] as const).map((env) => [env, cloud] as const));
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const [env, cloud] = job;
      plans[`${env}-${cloud}`] = await planStackAsync(env, {
        cloud,
        ...(env === "dev" ? { apiAllowedCidrs: "[]" } : {}),
      });
    }
  };
  await Promise.all([worker(), worker()]);
}, 600_000);

const everyPlan = () => Object.entries(plans);
const release = (p: Plan) => p.one(RELEASE, "postgres-exporter");
const values = (p: Plan) => release(p).inputs.values;
/** The chart's selector labels (its _helpers.tpl): name from nameOverride, instance the release. */
const podSelector = (p: Plan) => ({
  "app.kubernetes.io/name": values(p).nameOverride,
  "app.kubernetes.io/instance": release(p).inputs.name,
});
const chartDefaults = parse(
  readFileSync(
    join(
      ROOT,
      `test/infra/charts/prometheus-postgres-exporter-${CHARTS.postgresExporter.version}/values.yaml`,
    ),
    "utf8",
  ),
);

describe("the exporter's release", () => {
  it("installs the pinned chart in the app namespace, in dev and prod on every cloud", () => {
    for (const [key, p] of everyPlan()) {
      const r = release(p);
      expect([
        key,
        r.inputs.chart,
        r.inputs.version,
        r.inputs.repositoryOpts.repo,
        r.inputs.namespace,
      ]).toEqual([
        key,
        CHARTS.postgresExporter.chart,
        CHARTS.postgresExporter.version,
        CHARTS.postgresExporter.repo,
        NS,
      ]);
      expect(r.inputs.atomic).toBe(true);
    }
  });

  it("every key its values set is one the chart declares or reads (the chart has no schema)", () => {
    for (const [key, p] of everyPlan())
      expect([
        key,
        unknownChartKeys("prometheus-postgres-exporter", CHARTS.postgresExporter.version, values(p)),
      ]).toEqual([key, []]);
    const misspelt = {
      ...values(plan("prod")),
      config: {
        ...values(plan("prod")).config,
        datasource: { ...values(plan("prod")).config.datasource, sslMode: "x" },
      },
    };
    expect(
      unknownChartKeys("prometheus-postgres-exporter", CHARTS.postgresExporter.version, misspelt),
    ).toEqual(["config.datasource.sslMode"]);
  });

  it("logs in as the monitoring login, its password from the cluster Secret, never a value", () => {
    for (const [key, p] of everyPlan()) {
      const ds = values(p).config.datasource;
      expect([key, ds.user, ds.passwordSecret]).toEqual([
        key,
        POSTGRES_MONITOR_ROLE,
        { name: "postgres-monitor", key: "password" },
      ]);
      expect(ds.password).toBeUndefined();
      expect(ds.database).toBe("llmops");
      expect(ds.port).toBe("5432");
      expect(typeof ds.host).toBe("string");
      expect(ds.host.length).toBeGreaterThan(0);
    }
  });

  it("verifies the server against the cloud's CA bundle, with the services' sslmode", () => {
    for (const [key, p] of everyPlan()) {
      const v = values(p);
      // The sslmode the cloud layer writes into its store entry is the one the services use.
      const sslmode = key.endsWith("gcp") ? "verify-ca" : "verify-full";
      expect([key, v.config.datasource.sslmode, v.config.datasource.extraParams]).toEqual([
        key,
        sslmode,
        `sslrootcert=${CA_FILE}`,
      ]);
      const mount = v.extraVolumeMounts.find((m: any) => CA_FILE.startsWith(`${m.mountPath}/`));
      expect(mount.readOnly).toBe(true);
      const volume = v.extraVolumes.find((x: any) => x.name === mount.name);
      expect(volume.configMap).toEqual({ name: "postgres-ca", items: [{ key: "ca.pem", path: "ca.pem" }] });
      expect(obj(p, "ConfigMap", "postgres-ca").data["ca.pem"]).toBeDefined();
      // The settings collector gives pg_settings_max_connections.
      expect(v.config.disableSettingsMetrics).toBe(false);
    }
  });

  it("runs restricted like the services: non-root, read-only root, no token, resources, outside the mesh", () => {
    for (const [key, p] of everyPlan()) {
      const merged = helmMerge(chartDefaults, values(p)) as any;
      expect([key, merged.podSecurityContext]).toMatchObject([
        key,
        { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      ]);
      expect(merged.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(merged.automountServiceAccountToken).toBe(false);
      expect(merged.rbac.create).toBe(false);
      for (const k of ["requests", "limits"])
        expect(Object.keys(merged.resources[k]).sort()).toEqual(["cpu", "memory"]);
      expect(merged.podLabels["sidecar.istio.io/inject"]).toBe("false");
      // Labels the app namespace's admission rules require, on the chart's objects and pods.
      for (const l of [
        "app.kubernetes.io/component",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
        "environment",
      ]) {
        expect(merged.commonLabels[l], l).toBeDefined();
        expect(merged.podLabels[l], l).toBeDefined();
      }
    }
  });

  it("prod runs three replicas spread over hosts with a PDB keeping two; dev runs one", () => {
    for (const cloud of CLOUDS) {
      const p = plan("prod", cloud);
      expect(values(p).replicaCount).toBe(3);
      const term =
        values(p).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
      expect(term).toEqual({
        topologyKey: "kubernetes.io/hostname",
        labelSelector: { matchLabels: podSelector(p) },
      });
      const pdb = obj(p, "PodDisruptionBudget", "postgres-exporter").spec;
      expect(pdb).toMatchObject({ minAvailable: 2, selector: { matchLabels: podSelector(p) } });
      expect(pdb.maxUnavailable).toBeUndefined();
      expect(values(plan("dev", cloud)).replicaCount).toBe(1);
    }
  });

  it("pulls the chart's image at its appVersion from a registry the app namespace's admission admits", () => {
    for (const [key, p] of everyPlan()) {
      const { image } = values(p);
      expect([key, `${image.registry}/${image.repository}:${image.tag}`]).toEqual([
        key,
        `quay.io/prometheuscommunity/postgres-exporter:${CHARTS.postgresExporter.appVersion}`,
      ]);
      const constraint = p.objects("LlmopsImageProvenance")[0];
      const ref = `${image.registry}/${image.repository}:${image.tag}`;
      expect(constraint.spec.parameters.allowedRegistries.some((r: string) => ref.startsWith(`${r}/`))).toBe(
        true,
      );
      expect(APP_NAMESPACE_IMAGES.postgresExporter.tag).toBe(CHARTS.postgresExporter.appVersion);
    }
  });
});

describe("the monitoring login's Secret and the roles Job", () => {
  it("a password generated in the cluster once, rendered as the login's URL (for the Job) and password (for the exporter)", () => {
    for (const [key, p] of everyPlan()) {
      const { data } = expectGeneratedLogin(p, "postgres-monitor", POSTGRES_MONITOR_ROLE);
      expect([key, data.password]).toEqual([key, "{{ .password }}"]);
    }
  });

  it("the roles Job reads the login's URL from that Secret and provisions it", () => {
    for (const [key, p] of everyPlan()) {
      const jobs = p.inventory.resources
        .filter((r) => r.type === "kubernetes:batch/v1:Job")
        .map((r) => r.inputs);
      expect([key, jobs.length]).toEqual([key, 1]);
      const pod = jobs[0]!.spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const file = c.env.find((e: any) => e.name === "POSTGRES_MONITOR_URL_FILE").value as string;
        const mount = c.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
        expect(mount.readOnly).toBe(true);
        const volume = pod.volumes.find((v: any) => v.name === mount.name);
        expect(volume.secret.secretName).toBe("postgres-monitor");
        expect(volume.secret.items).toEqual([
          { key: "DATABASE_URL", path: file.slice(mount.mountPath.length + 1) },
        ]);
      }
    }
  });
});

describe("the exporter's flows and scrape", () => {
  it("NetworkPolicy: in from Prometheus on the metrics port only, out to Postgres only", () => {
    for (const [key, p] of everyPlan()) {
      const spec = obj(p, "NetworkPolicy", "postgres-exporter").spec;
      expect([key, spec.podSelector.matchLabels]).toEqual([key, podSelector(p)]);
      expect(spec.policyTypes).toEqual(["Ingress", "Egress"]);
      expect(spec.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
            },
          ],
          ports: [{ protocol: "TCP", port: values(p).service.targetPort }],
        },
      ]);
      // The same egress the services that use Postgres get (and DNS from the namespace policy).
      const routerless = obj(p, "NetworkPolicy", "cost-api").spec.egress.find((e: any) =>
        e.ports.some((x: any) => x.port === 5432),
      );
      expect(spec.egress).toEqual([routerless]);
    }
  });

  it("a ServiceMonitor labelled like the services' selects the chart's Service by its port name", () => {
    for (const [key, p] of everyPlan()) {
      const sm = obj(p, "ServiceMonitor", "postgres-exporter");
      expect([key, sm.metadata.labels.release]).toEqual([
        key,
        obj(p, "ServiceMonitor", "router").metadata.labels.release,
      ]);
      expect(sm.spec.selector.matchLabels).toEqual(podSelector(p));
      expect(sm.spec.namespaceSelector).toEqual({ matchNames: [NS] });
      expect(sm.spec.endpoints.map((e: any) => [e.port, e.path])).toEqual([
        [values(p).service.name, "/metrics"],
      ]);
      // The chart's own monitor and policy are off: ours are the ones above.
      expect([values(p).serviceMonitor.enabled, values(p).networkPolicy.enabled]).toEqual([false, false]);
    }
  });
});

describe("the platform's Postgres dashboard and alerts", () => {
  it("a Postgres dashboard the sidecar loads, with the panels asked for, reading only what the exporter publishes", () => {
    for (const [key, p] of everyPlan()) {
      const cm = p.objects("ConfigMap", "platform-postgres-dashboard")[0];
      expect([key, cm.metadata.namespace, cm.metadata.labels.grafana_dashboard]).toEqual([
        key,
        "monitoring",
        "1",
      ]);
      const board = JSON.parse(cm.data["platform-postgres.json"]);
      expect(board.title).toMatch(/Postgres/);
      const exprs = board.panels.flatMap((x: any) => x.targets.map((t: any) => t.expr));
      expect(metricsOf(exprs).filter((m) => !EXPORTED.has(m))).toEqual([]);
      for (const m of [
        "pg_stat_database_numbackends",
        "pg_settings_max_connections",
        "pg_stat_database_xact_commit",
        "pg_stat_database_xact_rollback",
        "pg_stat_database_blks_hit",
        "pg_stat_database_deadlocks",
        "pg_database_size_bytes",
        "pg_stat_activity_max_tx_duration",
        "pg_replication_lag_seconds",
      ])
        expect(metricsOf(exprs)).toContain(m);
    }
  });

  it("alerts on connections near the limit, deadlocks, long transactions and the exporter down, with the remedy", () => {
    for (const [key, p] of everyPlan()) {
      const group = p
        .objects("PrometheusRule", "platform-alerts")[0]
        .spec.groups.find((g: any) => g.name === "platform.postgres");
      expect([key, group.rules.map((r: any) => r.alert)]).toEqual([
        key,
        [
          "PostgresExporterDown",
          "PostgresConnectionsNearLimit",
          "PostgresDeadlocks",
          "PostgresLongTransaction",
        ],
      ]);
      expect(metricsOf(group.rules.map((r: any) => r.expr)).filter((m) => !EXPORTED.has(m))).toEqual([]);
      const byName = Object.fromEntries(group.rules.map((r: any) => [r.alert, r]));
      expect(byName.PostgresConnectionsNearLimit.expr).toMatch(
        /> 0\.8 \* max\(pg_settings_max_connections\)/,
      );
      expect(byName.PostgresConnectionsNearLimit.for).toBe("10m");
      expect(byName.PostgresLongTransaction.expr).toMatch(/pg_stat_activity_max_tx_duration\) > 300/);
      for (const r of group.rules) expect(r.annotations.summary.length).toBeGreaterThan(40);
    }
  });
});
