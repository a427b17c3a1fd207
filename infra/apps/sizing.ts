/**
 * Replicas and container resources per environment: the seed guides' tables (003 cost ops,
 * 004 router) where they give one, the production checklist (000: >= 3 replicas, PDB 2) elsewhere.
 * dev is one small replica of each; prod never runs fewer than three.
 */

import type { Environment } from "../config.ts";
import type { ContainerResources, Sizing } from "./profile.ts";

function resources(cpu: [string, string], memory: [string, string]): ContainerResources {
  return { requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } };
}

export const SIZING: Record<string, Record<Environment, Sizing>> = {
  // Seed 004: dev 100m-500m / 512Mi-2Gi x1; prod 1000m-4000m / 4Gi-16Gi, 5-20 replicas.
  router: {
    dev: { replicas: { min: 1, max: 3 }, resources: resources(["100m", "500m"], ["512Mi", "2Gi"]) },
    prod: { replicas: { min: 5, max: 20 }, resources: resources(["1000m", "4000m"], ["4Gi", "16Gi"]) },
  },
  // Seed 002: HPA 2-10 on CPU/memory; the checklist raises the prod floor to 3.
  "trace-proxy": {
    dev: { replicas: { min: 1, max: 3 }, resources: resources(["100m", "500m"], ["256Mi", "512Mi"]) },
    prod: { replicas: { min: 3, max: 10 }, resources: resources(["500m", "2000m"], ["1Gi", "2Gi"]) },
  },
  // Seed 003: dev 250m-1000m / 256Mi-1Gi x1 (1-3); prod 1000m-4000m / 1Gi-4Gi, 5-50.
  "cost-api": {
    dev: { replicas: { min: 1, max: 3 }, resources: resources(["250m", "1000m"], ["256Mi", "1Gi"]) },
    prod: { replicas: { min: 5, max: 50 }, resources: resources(["1000m", "4000m"], ["1Gi", "4Gi"]) },
  },
  // Seed 000: at least 3 replicas in prod, memory limit 4Gi.
  sentinel: {
    dev: { replicas: { min: 1, max: 3 }, resources: resources(["100m", "500m"], ["256Mi", "1Gi"]) },
    prod: { replicas: { min: 3, max: 12 }, resources: resources(["500m", "2000m"], ["1Gi", "4Gi"]) },
  },
};

/** A service without its own row: the checklist's floor (3 in prod) on small containers. */
export const DEFAULT_SIZING: Record<Environment, Sizing> = {
  dev: { replicas: { min: 1, max: 3 }, resources: resources(["100m", "500m"], ["256Mi", "512Mi"]) },
  prod: { replicas: { min: 3, max: 10 }, resources: resources(["250m", "1000m"], ["512Mi", "1Gi"]) },
};

/** Resources of the migration init container: short-lived, small. */
export const MIGRATION_RESOURCES: ContainerResources = resources(["100m", "500m"], ["128Mi", "256Mi"]);

/**
 * What Istio injects into every pod (istio-proxy defaults). Counted in the namespace quota so the
 * quota admits the sidecars of a fully scaled-out namespace.
 */
export const MESH_SIDECAR: ContainerResources = resources(["100m", "2000m"], ["128Mi", "1Gi"]);

/** Rolling updates surge by this fraction above the autoscaler's maximum (Deployment maxSurge). */
export const ROLLOUT_SURGE = 0.25;

/** The Postgres exporter: a handful of catalogue queries per scrape. */
export const POSTGRES_EXPORTER_RESOURCES: ContainerResources = resources(["50m", "250m"], ["64Mi", "128Mi"]);
