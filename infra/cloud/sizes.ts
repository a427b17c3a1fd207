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
 * the demo load), prod memory-optimised 2 vCPU class with a standby in another zone. Cloud SQL caps
 * custom tiers at 6.5 GB per vCPU, so its 2 vCPU prod tier has 13 GB where RDS and Azure have 16 GiB.
 */
export const POSTGRES_TIERS: Record<Cloud, Record<"dev" | "prod", string>> = {
  aws: { dev: "db.t4g.small", prod: "db.r7g.large" },
  gcp: { dev: "db-custom-1-3840", prod: "db-custom-2-13312" },
  // Azure Flexible Server encodes the tier in the SKU name's family (B = Burstable, E = Memory Optimized).
  azure: { dev: "Standard_B1ms", prod: "Standard_E2ds_v5" },
};

/**
 * Why Cloud SQL would reject a tier, or undefined when it accepts it. Postgres takes only
 * shared-core (db-f1-micro, db-g1-small) and custom tiers db-custom-<vCPU>-<MB>: 1 or an even
 * 2..96 vCPUs, memory a multiple of 256 MB, at least 3840 MB, 0.9 to 6.5 GB per vCPU.
 */
export function cloudSqlTierProblem(tier: string): string | undefined {
  if (tier === "db-f1-micro" || tier === "db-g1-small") return undefined;
  const m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (!m) return `${tier}: Cloud SQL for PostgreSQL takes only shared-core or db-custom-<vCPU>-<MB> tiers`;
  const cpus = Number(m[1]);
  const mb = Number(m[2]);
  if (!(cpus === 1 || (cpus % 2 === 0 && cpus >= 2 && cpus <= 96)))
    return `${tier}: vCPUs must be 1 or an even number from 2 to 96`;
  if (mb % 256 !== 0) return `${tier}: memory must be a multiple of 256 MB`;
  if (mb < 3840) return `${tier}: memory must be at least 3840 MB`;
  const min = Math.ceil((0.9 * 1024 * cpus) / 256) * 256;
  const max = Math.floor((6.5 * 1024 * cpus) / 256) * 256;
  if (mb < min || mb > max) return `${tier}: ${cpus} vCPU take ${min}-${max} MB (0.9 to 6.5 GB per vCPU)`;
  return undefined;
}
