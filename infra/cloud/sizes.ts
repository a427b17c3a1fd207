/**
 * Node size classes of the stack config, mapped to each cloud's machine type so one stack file
 * plans on every cloud. Classes are general-purpose shapes with 4 GiB per vCPU:
 * small 2 vCPU, medium 4 vCPU, large 8 vCPU, xlarge 16 vCPU.
 */
import type { Cloud, NodePool } from "../config.ts";

export type SizeClass = NodePool["size"];

export const MACHINE_TYPES: Record<Cloud, Record<SizeClass, string>> = {
  // m7i: current-generation Intel, EBS-optimised, no burst credits to run out of under load.
  aws: { small: "m7i.large", medium: "m7i.xlarge", large: "m7i.2xlarge", xlarge: "m7i.4xlarge" },
  gcp: { small: "n2-standard-2", medium: "n2-standard-4", large: "n2-standard-8", xlarge: "n2-standard-16" },
  // Dsv5: premium-storage capable (the fast-ssd storage class needs it).
  azure: {
    small: "Standard_D2s_v5",
    medium: "Standard_D4s_v5",
    large: "Standard_D8s_v5",
    xlarge: "Standard_D16s_v5",
  },
};

export function machineType(cloud: Cloud, size: SizeClass): string {
  return MACHINE_TYPES[cloud][size];
}

/**
 * Managed Postgres machine per cloud and environment: dev burstable/shared-core (cheap, enough for
 * the demo load), prod memory-optimised 2 vCPU / 16 GiB class with a standby in another zone.
 */
export const POSTGRES_TIERS: Record<Cloud, Record<"dev" | "prod", string>> = {
  aws: { dev: "db.t4g.small", prod: "db.r7g.large" },
  gcp: { dev: "db-custom-1-3840", prod: "db-custom-2-16384" },
  // Azure Flexible Server encodes the tier in the SKU name's family (B = Burstable, E = Memory Optimized).
  azure: { dev: "Standard_B1ms", prod: "Standard_E2ds_v5" },
};
