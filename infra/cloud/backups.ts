/** What every cloud's backup module shares: whether the stack keeps backups, and Velero's ServiceAccount. */
import type { StackConfig } from "../config.ts";
import { SERVICE_ACCOUNTS } from "../names.ts";
import { unboundIdentity } from "./storage.ts";
import type { WorkloadIdentity } from "./types.ts";

export const backupsEnabled = (config: StackConfig): boolean => config.platform.backups.enabled;

/** Velero's ServiceAccount without a cloud identity (no backups: nothing to write to). */
export const NO_BACKUP_IDENTITY: WorkloadIdentity = unboundIdentity(SERVICE_ACCOUNTS.velero);

/**
 * Backups outlive the TTL by this much before the bucket's own lifecycle deletes leftovers (Velero
 * deletes expired backups itself; this catches what it never got to, e.g. after a cluster loss).
 */
export const BUCKET_GRACE_DAYS = 7;
