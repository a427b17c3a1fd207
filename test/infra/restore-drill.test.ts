/**
 * The restore drill (infra/ops/restore-drill.sh, docs/operations.md) against the plan it would run on:
 * every object it names exists in the prod plan on every cloud, with the properties the drill relies
 * on (a default, reachable backup location; a schedule with volume snapshots for every namespace that
 * keeps state; the VolumeSnapshotClass Velero picks; the managed Postgres' own backups).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { NS } from "../../infra/names.ts";
import { STATEFUL_NAMESPACES } from "../../infra/platform/names.ts";
import { type Plan, planStack, ROOT } from "../helpers/plan.ts";

const SCRIPT = join(ROOT, "infra/ops/restore-drill.sh");
const text = readFileSync(SCRIPT, "utf8");
/** A NAME=value or NAME=(a b) assignment at the top of the script. */
function setting(name: string): string {
  const m = new RegExp(`^${name}=(.*)$`, "m").exec(text);
  if (!m) throw new Error(`${name} is not set in restore-drill.sh`);
  return m[1]!.trim();
}
const list = (name: string) =>
  setting(name)
    .replace(/^\(|\)$/g, "")
    .split(/\s+/)
    .filter(Boolean);

const CLOUDS = ["aws", "gcp", "azure"] as const;
const plans = new Map<string, Plan>();
beforeAll(() => {
  for (const cloud of CLOUDS) plans.set(cloud, planStack("prod", { cloud }));
}, 300_000);

const velero = (plan: Plan) => plan.one("kubernetes:helm.sh/v3:Release", "velero");

describe("the drill script", () => {
  it("is valid bash and stops on errors", () => {
    execFileSync("bash", ["-n", SCRIPT]);
    expect(text).toMatch(/^set -euo pipefail$/m);
  });

  it("restores the namespaces the platform declares stateful, never into a live namespace", () => {
    expect(list("STATEFUL_NAMESPACES").sort()).toEqual([...STATEFUL_NAMESPACES].sort());
    expect(setting("APP_NAMESPACE")).toBe(NS.apps);
    // Every restore maps its namespace to drill-<namespace>-<stamp>.
    expect(text).toContain('--namespace-mappings "$source:$target"');
    expect(text.match(/target="drill-[^"]+"/g)?.length).toBe(2);
    expect(setting("CHECKER_IMAGE")).toMatch(/^busybox:\d+\.\d+\.\d+$/);
  });
});

describe.each(CLOUDS)("prod on %s has what the drill needs", (cloud) => {
  const plan = () => plans.get(cloud)!;

  it("Velero in the drill's namespace, with the default backup location on the cloud's object storage", () => {
    const r = velero(plan());
    expect(r.inputs.namespace).toBe(setting("VELERO_NAMESPACE"));
    const [location] = r.inputs.values.configuration.backupStorageLocation;
    expect(location).toMatchObject({ name: setting("BACKUP_LOCATION"), default: true, provider: cloud });
    expect(location.bucket).toBeTruthy();
    // Workload identity: no credentials Secret for the drill to depend on.
    expect(r.inputs.values.credentials).toEqual({ useSecret: false });
  });

  it("a schedule with volume snapshots for each stateful namespace, and one for every namespace's objects", () => {
    const { schedules } = velero(plan()).inputs.values;
    for (const ns of list("STATEFUL_NAMESPACES")) {
      const s = schedules[`${setting("STATEFUL_SCHEDULE_PREFIX")}${ns}`];
      expect(s, ns).toBeDefined();
      expect(s.template).toMatchObject({ includedNamespaces: [ns], snapshotVolumes: true });
    }
    expect(schedules[setting("RESOURCES_SCHEDULE")].template.includedNamespaces).toEqual(["*"]);
    // Daily: the drill refuses a backup older than its limit, the alert fires at the same age.
    const maxAge = Number(setting("MAX_BACKUP_AGE_HOURS"));
    for (const s of Object.values<any>(schedules)) expect(s.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
    const alerts = velero(plan()).inputs.values.metrics.prometheusRule.spec;
    expect(alerts.find((a: any) => a.alert === "VeleroBackupTooOld").expr).toContain(`> ${maxAge} * 3600`);
  });

  it("the VolumeSnapshotClass Velero snapshots with, on the cloud's CSI driver", () => {
    const [vsc] = plan().objects("VolumeSnapshotClass", setting("SNAPSHOT_CLASS"));
    expect(vsc.metadata.labels["velero.io/csi-volumesnapshot-class"]).toBe("true");
    expect(vsc.deletionPolicy).toBe("Retain");
  });

  it("the stateful namespaces really hold the platform's persistent volumes", () => {
    // Kafka's node pool and the monitoring charts' volume claims are where the state is.
    const pool = plan().objects("KafkaNodePool")[0];
    expect(list("STATEFUL_NAMESPACES")).toContain(pool.metadata.namespace);
    const prometheus = plan().one("kubernetes:helm.sh/v3:Release", "kube-prometheus-stack");
    expect(prometheus.inputs.values.prometheus.prometheusSpec.storageSpec).toBeDefined();
    expect(list("STATEFUL_NAMESPACES")).toContain(prometheus.inputs.namespace);
  });

  it("the Velero namespace lets it reach object storage and the cloud's token endpoint", () => {
    const egress = plan()
      .objects("NetworkPolicy", "allow-egress")
      .find((p) => p.metadata.namespace === setting("VELERO_NAMESPACE")).spec.egress;
    expect(egress.flatMap((e: any) => (e.ports ?? []).map((p: any) => p.port))).toContain(443);
  });
});

describe("managed Postgres keeps its own point-in-time backups (the drill checks the window)", () => {
  const one = (cloud: string, type: string) => plans.get(cloud)!.one(type).inputs;

  it("aws: RDS keeps 14 days of automated backups", () => {
    expect(one("aws", "aws:rds/instance:Instance")).toMatchObject({ backupRetentionPeriod: 14 });
  });

  it("gcp: Cloud SQL has point-in-time recovery on and 14 retained backups", () => {
    expect(
      one("gcp", "gcp:sql/databaseInstance:DatabaseInstance").settings.backupConfiguration,
    ).toMatchObject({
      enabled: true,
      pointInTimeRecoveryEnabled: true,
      backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" },
    });
  });

  it("azure: the flexible server keeps 14 days, geo-redundant", () => {
    expect(one("azure", "azure-native:dbforpostgresql:Server").backup).toEqual({
      backupRetentionDays: 14,
      geoRedundantBackup: "Enabled",
    });
  });
});
