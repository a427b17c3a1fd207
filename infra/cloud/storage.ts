/** What every cloud's object-storage consumers share: identities without a cloud binding, and when Tempo gets a bucket. */
import type { StackConfig } from "../config.ts";
import type { ServiceAccountRef } from "../names.ts";
import type { WorkloadIdentity } from "./types.ts";

/** A consumer's ServiceAccount with no cloud identity (it keeps its data on a volume: nothing to write to). */
export const unboundIdentity = (serviceAccount: ServiceAccountRef): WorkloadIdentity => ({
  serviceAccount,
  serviceAccountAnnotations: {},
  podLabels: {},
});

/** Tempo keeps its blocks in object storage (platform.tracing.objectStorage, prod by default). */
export const objectTraceStorage = (config: StackConfig): boolean =>
  config.platform.tracing.enabled && config.platform.tracing.objectStorage;
