import type { PolicyResource } from "@pulumi/policy";
import { stackRule } from "./types.ts";

const AWS_CLUSTER = "aws:rds/cluster:Cluster";
const AWS_INSTANCE = "aws:rds/instance:Instance";
const AWS_CI = "aws:rds/clusterInstance:ClusterInstance";
const GCP_SQL = "gcp:sql/databaseInstance:DatabaseInstance";
const AZ_PG = "azure-native:dbforpostgresql:Server";
const AZ_LOCKS = [
  "azure-native:authorization:ManagementLockByScope",
  "azure-native:authorization:ManagementLockAtResourceLevel",
  "azure-native:authorization:ManagementLockAtResourceGroupLevel",
];

const linked = (r: PolicyResource, target: PolicyResource) =>
  r.parent?.urn === target.urn || r.dependencies.some((d) => d.urn === target.urn);

export const postgresHa = stackRule({
  id: "postgres-ha",
  description: "Managed Postgres is highly available across zones and protected against deletion.",
  severity: "high",
  category: "reliability",
  checklist: [
    {
      seed: "sentinel",
      item: 'Backup & Recovery: "Set up DR environment"; High Availability: "Set up multi-zone deployment"',
    },
    { seed: "router", item: '"Test disaster recovery"' },
  ],
  remediation:
    "AWS: deletionProtection: true and multiAz: true (Aurora: >= 2 cluster instances); GCP: " +
    "settings.availabilityType: REGIONAL and deletionProtection: true; Azure: highAvailability.mode: ZoneRedundant " +
    "and a CanNotDelete management lock on the server.",
  check(args) {
    const out: { urn: string; message: string }[] = [];
    const rs = args.resources;
    for (const r of rs) {
      const p = r.props ?? {};
      const msg = (m: string) => out.push({ urn: r.urn, message: m });
      if (r.type === AWS_INSTANCE || r.type === AWS_CLUSTER) {
        if (p.engine && !String(p.engine).includes("postgres")) continue;
        if (p.deletionProtection !== true) msg("deletionProtection is not true.");
        if (r.type === AWS_INSTANCE && p.multiAz !== true) msg("multiAz is not true.");
        if (r.type === AWS_CLUSTER) {
          const members = rs.filter(
            (i) =>
              i.type === AWS_CI &&
              (linked(i, r) || (p.clusterIdentifier && i.props?.clusterIdentifier === p.clusterIdentifier)),
          );
          if (members.length < 2)
            msg(`Aurora cluster has ${members.length} instance(s); needs >= 2 for failover.`);
        }
      } else if (r.type === GCP_SQL) {
        if (p.databaseVersion && !String(p.databaseVersion).startsWith("POSTGRES")) continue;
        if (p.settings?.availabilityType !== "REGIONAL") msg("settings.availabilityType is not REGIONAL.");
        if (
          p.deletionProtection === false ||
          (p.deletionProtection !== true && p.settings?.deletionProtectionEnabled !== true)
        )
          msg("deletion protection is off (deletionProtection / settings.deletionProtectionEnabled).");
      } else if (r.type === AZ_PG) {
        const mode = p.highAvailability?.mode;
        if (mode !== "ZoneRedundant" && mode !== "SameZone")
          msg("highAvailability.mode is not ZoneRedundant.");
        const locked = rs.some(
          (l) =>
            AZ_LOCKS.includes(l.type) &&
            l.props?.level === "CanNotDelete" &&
            (linked(l, r) || l.type.endsWith("ResourceGroupLevel")),
        );
        if (!locked) msg("no CanNotDelete management lock protects the server.");
      }
    }
    return out;
  },
});
