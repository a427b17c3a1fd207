import { chartName, durationHours, RELEASE } from "./helm.ts";
import { asArray, nsOf } from "./k8s.ts";
import { stackRule } from "./types.ts";

const PVC = /^kubernetes:core\/v1:PersistentVolumeClaim$/;
const STATEFUL_SET = /^kubernetes:apps\/v1:StatefulSet$/;
const NODE_POOL = /^kubernetes:kafka\.strimzi\.io\/v1(beta2)?:KafkaNodePool$/;
const SCHEDULE = /^kubernetes:velero\.io\/v1:Schedule$/;

/** Whether a chart's values ask for persistent volumes (the common spellings of the charts we install). */
function valuesPersist(v: unknown): boolean {
  if (!v || typeof v !== "object") return false;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if ((k === "volumeClaimTemplate" || k === "storageSpec") && x && typeof x === "object") return true;
    if (k === "persistence" && x && typeof x === "object" && (x as { enabled?: unknown }).enabled !== false) {
      const p = x as Record<string, unknown>;
      if ("size" in p || "storageClass" in p || p.enabled === true) return true;
    }
    if (valuesPersist(x)) return true;
  }
  return false;
}

function poolPersists(storage: any): boolean {
  if (!storage) return false;
  if (storage.type === "persistent-claim") return true;
  return storage.type === "jbod" && asArray(storage.volumes).some((v: any) => v.type === "persistent-claim");
}

interface Schedule {
  name: string;
  namespaces: string[];
  snapshotVolumes: boolean;
  ttlHours?: number;
}

export const backupsStatefulNamespaces = stackRule({
  id: "backups-stateful-namespaces",
  description:
    "Every namespace that keeps state on persistent volumes (PersistentVolumeClaims, StatefulSet claim " +
    "templates, Strimzi node pools with persistent storage, Helm releases with persistence) is covered by a " +
    "Velero schedule that snapshots its volumes and keeps backups for at least minTtlDays.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'Backup & Recovery: "Back up baseline data" and "Test restore procedures"' },
    { seed: "core", item: 'Backup and Recovery: "Backup Persistent Volumes ... Or use Velero"' },
  ],
  remediation:
    "Set platform.backups.enabled true (the prod default) and list the namespace in STATEFUL_NAMESPACES " +
    "(infra/platform/names.ts): the platform then installs Velero with a schedule per namespace " +
    "(snapshotVolumes true, ttl from platform.backups.ttlDays).",
  options: { minTtlDays: 7 },
  configSchema: { minTtlDays: { type: "integer", minimum: 1 } },
  check(args, o) {
    const stateful = new Map<string, string>();
    const note = (ns: string, urn: string) => {
      if (ns && !stateful.has(ns)) stateful.set(ns, urn);
    };
    const schedules: Schedule[] = [];
    for (const r of args.resources) {
      const props = r.props ?? {};
      if (PVC.test(r.type)) note(nsOf(props, r.provider), r.urn);
      else if (STATEFUL_SET.test(r.type) && asArray(props.spec?.volumeClaimTemplates).length)
        note(nsOf(props, r.provider), r.urn);
      else if (NODE_POOL.test(r.type) && poolPersists(props.spec?.storage))
        note(nsOf(props, r.provider), r.urn);
      else if (r.type === RELEASE) {
        if (chartName(props) === "velero")
          for (const [name, s] of Object.entries<any>(props.values?.schedules ?? {}))
            if (!s?.disabled && !s?.paused) schedules.push(scheduleOf(name, s.template ?? {}));
        if (chartName(props) !== "velero" && valuesPersist(props.values))
          note(String(props.namespace ?? ""), r.urn);
      } else if (SCHEDULE.test(r.type) && !props.spec?.paused)
        schedules.push(scheduleOf(props.metadata?.name ?? r.name, props.spec?.template ?? {}));
    }
    const out: { urn: string; message: string }[] = [];
    for (const [ns, urn] of stateful) {
      const covering = schedules.filter(
        (s) => s.snapshotVolumes && (s.namespaces.includes(ns) || s.namespaces.includes("*")),
      );
      if (covering.length === 0) {
        out.push({
          urn,
          message: `namespace ${ns} keeps persistent volumes but no Velero schedule snapshots them.`,
        });
        continue;
      }
      if (!covering.some((s) => (s.ttlHours ?? 720) >= o.minTtlDays * 24))
        out.push({
          urn,
          message: `namespace ${ns}: its backups (${covering.map((s) => s.name).join(", ")}) are kept less than ${o.minTtlDays} days.`,
        });
    }
    return out;
  },
});

function scheduleOf(name: string, t: Record<string, any>): Schedule {
  return {
    name,
    namespaces: asArray<string>(t.includedNamespaces ?? ["*"]),
    // Velero snapshots volumes unless a backup says otherwise.
    snapshotVolumes: t.snapshotVolumes !== false,
    // Velero's default TTL is 30 days (720h); "720h0m0s" style durations parse as hours/minutes/seconds.
    ttlHours: typeof t.ttl === "string" ? durationHours(t.ttl) : undefined,
  };
}
