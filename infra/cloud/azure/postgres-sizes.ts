/**
 * Azure Database for PostgreSQL Flexible Server offers storage only in fixed steps (GiB); any other
 * size is refused. The stack's storageGb is a floor: the server gets the smallest step that holds it.
 */
export const AZURE_POSTGRES_STORAGE_GB = [
  32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768,
] as const;

export function azurePostgresStorageGb(atLeast: number): number {
  const step = AZURE_POSTGRES_STORAGE_GB.find((s) => s >= atLeast);
  if (step === undefined) throw new Error(`no Flexible Server storage step holds ${atLeast} GiB`);
  return step;
}

export type AzurePostgresTier = "Burstable" | "GeneralPurpose" | "MemoryOptimized";

/** Flexible Server tier: HA (prod) needs one that supports zone redundancy; dev runs Burstable. */
export function azurePostgresTier(highAvailability: boolean): AzurePostgresTier {
  return highAvailability ? "MemoryOptimized" : "Burstable";
}
