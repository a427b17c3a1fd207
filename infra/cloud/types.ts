/**
 * What every cloud implementation hands to the platform and apps layers. Those layers never
 * branch on the cloud: whatever differs (identity annotations, DNS-01 solver, secret store
 * provider block, log bucket) arrives here already shaped for the consuming chart or CRD.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../config.ts";

/** How a Kubernetes ServiceAccount assumes a cloud identity (IRSA, GKE WI, Entra WI). */
export interface WorkloadIdentity {
  /** Annotations for the ServiceAccount (e.g. eks.amazonaws.com/role-arn). */
  serviceAccountAnnotations: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels the pods need (Azure: azure.workload.identity/use=true). */
  podLabels: Record<string, string>;
}

/** Components that read or write cloud APIs from inside the cluster. */
export type IdentityConsumer = "externalSecrets" | "externalDns" | "certManager" | "loki";

export interface DnsZone {
  name: pulumi.Output<string>;
  id: pulumi.Output<string>;
  nameServers: pulumi.Output<string[]>;
}

export interface CloudPostgres {
  host: pulumi.Output<string>;
  port: number;
  database: string;
  /** Name of the secret-store entry holding {username,password,host,port,database,url}. */
  secretName: pulumi.Output<string>;
}

export interface StorageClassSpec {
  provisioner: string;
  parameters: Record<string, string>;
}

export interface CloudLayer {
  cloud: Cloud;
  clusterName: pulumi.Output<string>;
  /** Secret: carries the exec credential plugin invocation, never a static token. */
  kubeconfig: pulumi.Output<string>;
  provider: k8s.Provider;
  dnsZone: DnsZone;
  identities: Record<IdentityConsumer, WorkloadIdentity>;
  /** external-secrets ClusterSecretStore `spec.provider` for the cloud's secret store. */
  secretStoreProvider: pulumi.Output<Record<string, unknown>>;
  /** cert-manager ACME `dns01` solver block on the stack's zone. */
  dns01Solver: pulumi.Output<Record<string, unknown>>;
  /** external-dns chart settings: provider name plus provider-specific values. */
  externalDns: { provider: string; values: pulumi.Output<Record<string, unknown>> };
  /** Loki object storage (prod): chart `loki.storage` values; undefined keeps filesystem storage. */
  logStorage?: pulumi.Output<Record<string, unknown>>;
  postgres: CloudPostgres;
  storageClasses: { fastSsd: StorageClassSpec; standardSsd: StorageClassSpec; snapshotDriver: string };
}
