/**
 * What the environment means for infrastructure shape, decided once for every cloud:
 * dev is small and cheap, prod survives a zone failure and refuses accidental deletion.
 */
import type { StackConfig } from "../config.ts";

export interface EnvironmentProfile {
  /** Availability zones the network and node pools span. */
  zoneCount: number;
  /** One NAT per zone (a zone outage keeps the other zones' egress) or a single shared NAT. */
  natPerZone: boolean;
  /** Regional control planes, zone-redundant Postgres standby. */
  highAvailability: boolean;
  deletionProtection: boolean;
  postgresStorageGb: number;
  backupRetentionDays: number;
  /** Loki on object storage (prod) instead of the chart's filesystem default. */
  objectLogStorage: boolean;
  /** KMS keys stay recoverable for this long after a destroy. */
  keyDeletionWindowDays: number;
}

export function environmentProfile(config: StackConfig): EnvironmentProfile {
  const prod = config.environment === "prod";
  return {
    zoneCount: prod ? 3 : 2,
    natPerZone: prod,
    highAvailability: prod,
    deletionProtection: prod,
    postgresStorageGb: config.postgres.storageGb ?? (prod ? 100 : 20),
    backupRetentionDays: config.postgres.backupRetentionDays ?? (prod ? 14 : 7),
    objectLogStorage: prod,
    keyDeletionWindowDays: prod ? 30 : 7,
  };
}
