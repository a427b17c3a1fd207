import { resourceRule } from "./types.ts";

const AWS_CLUSTER = "aws:rds/cluster:Cluster";
const AWS_INSTANCE = "aws:rds/instance:Instance";
const AWS_CI = "aws:rds/clusterInstance:ClusterInstance";
const GCP_SQL = "gcp:sql/databaseInstance:DatabaseInstance";
const AZ_PG = "azure-native:dbforpostgresql:Server";

export const postgresBaseline = resourceRule({
  id: "postgres-baseline",
  description: "Managed Postgres is private (no public endpoint), encrypted and keeps backups for >= 7 days.",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "costops", item: 'Best Practices: "Set up automated backups" for the database' },
    { seed: "sentinel", item: 'Backup & Recovery: "Back up configuration", "Test restore procedures"' },
    { seed: "sentinel", item: 'Security: "Use TLS/SSL for all external connections"' },
  ],
  remediation:
    "AWS: storageEncrypted: true (kmsKeyId), publiclyAccessible: false, backupRetentionPeriod >= 7; GCP: " +
    "settings.ipConfiguration {ipv4Enabled: false, privateNetwork, sslMode: ENCRYPTED_ONLY}, backupConfiguration " +
    "{enabled, pointInTimeRecoveryEnabled, transactionLogRetentionDays >= 7, retainedBackups >= 7}; Azure: " +
    "network.publicNetworkAccess: Disabled with a delegated subnet, backup.backupRetentionDays >= 7.",
  types: [AWS_CLUSTER, AWS_INSTANCE, AWS_CI, GCP_SQL, AZ_PG],
  options: { minBackupDays: 7 },
  configSchema: { minBackupDays: { type: "integer", minimum: 1 } },
  check(props, o, args) {
    const out: string[] = [];
    const min = o.minBackupDays;
    switch (args.type) {
      case AWS_CI:
        if (props.publiclyAccessible === true) out.push("cluster instance is publicly accessible.");
        break;
      case AWS_CLUSTER:
      case AWS_INSTANCE:
        if (props.engine && !String(props.engine).includes("postgres")) args.notApplicable("not Postgres");
        if (props.storageEncrypted !== true) out.push("storageEncrypted is not true.");
        if (props.publiclyAccessible === true) out.push("instance is publicly accessible.");
        if (!((props.backupRetentionPeriod ?? 1) >= min))
          out.push(`backupRetentionPeriod is ${props.backupRetentionPeriod ?? 1}; needs >= ${min}.`);
        break;
      case GCP_SQL: {
        if (props.databaseVersion && !String(props.databaseVersion).startsWith("POSTGRES"))
          args.notApplicable("not Postgres");
        const s = props.settings ?? {};
        const ip = s.ipConfiguration ?? {};
        if (ip.ipv4Enabled !== false)
          out.push("settings.ipConfiguration.ipv4Enabled is not false (public IP).");
        if (!ip.privateNetwork) out.push("settings.ipConfiguration.privateNetwork is unset.");
        if (!["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(ip.sslMode))
          out.push("settings.ipConfiguration.sslMode does not require TLS.");
        const b = s.backupConfiguration ?? {};
        if (b.enabled !== true) out.push("settings.backupConfiguration.enabled is not true.");
        if (b.pointInTimeRecoveryEnabled !== true) out.push("point-in-time recovery is off.");
        const kept = b.backupRetentionSettings?.retainedBackups ?? 7;
        if (kept < min) out.push(`retainedBackups is ${kept}; needs >= ${min}.`);
        if ((b.transactionLogRetentionDays ?? 7) < min)
          out.push(`transactionLogRetentionDays is ${b.transactionLogRetentionDays}; needs >= ${min}.`);
        break;
      }
      default: {
        const n = props.network ?? {};
        if (n.publicNetworkAccess !== "Disabled" && !n.delegatedSubnetResourceId)
          out.push(
            "server is reachable publicly; set network.publicNetworkAccess: Disabled with a delegated subnet.",
          );
        const days = props.backup?.backupRetentionDays ?? 7;
        if (days < min) out.push(`backup.backupRetentionDays is ${days}; needs >= ${min}.`);
        if (
          props.dataEncryption?.type &&
          !["SystemManaged", "AzureKeyVault"].includes(props.dataEncryption.type)
        )
          out.push(`unknown dataEncryption.type ${props.dataEncryption.type}.`);
      }
    }
    return out;
  },
});
