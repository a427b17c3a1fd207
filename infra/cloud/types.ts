/**
 * What every cloud implementation hands to the platform and apps layers. Those layers never
 * branch on the cloud: whatever differs (identity annotations, DNS-01 solver, secret store
 * provider block, log bucket) arrives here already shaped for the consuming chart or CRD.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../config.ts";
import type { DatabaseTokenAuth } from "../../services/shared/src/contract.ts";
import type { ClusterFacts } from "./facts.ts";
import type { IdentityConsumer, ServiceAccountRef } from "../names.ts";

/** How a Kubernetes ServiceAccount assumes a cloud identity (IRSA, GKE WI, Entra WI). */
export interface WorkloadIdentity {
  /**
   * The ServiceAccount the cloud identity trusts (IRSA trust policy subject, GKE WI member, Entra
   * federated credential subject). The platform must install the chart with exactly this name/namespace.
   */
  serviceAccount: ServiceAccountRef;
  /** Annotations for the ServiceAccount (e.g. eks.amazonaws.com/role-arn). */
  serviceAccountAnnotations: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels the pods need (Azure: azure.workload.identity/use=true). */
  podLabels: Record<string, string>;
}

/**
 * Node label every cloud puts on its nodes with the pool's role ("system" | "workload"): the
 * platform pins operators to system nodes and services to workload nodes with it.
 */
export const POOL_ROLE_LABEL = "llmops.io/pool-role";

/**
 * Names of the entries the layer writes to the cloud secret store (the `remoteRef.key` an
 * ExternalSecret reads). Values are plain strings unless noted.
 */
export interface SecretCatalogue {
  /** JSON {username,password,host,port,database,sslmode,url}. */
  postgres: string;
  /** Provider name -> entry holding that provider's API key. */
  llmProviders: Record<string, string>;
  /**
   * JSON {slackWebhookUrl?, pagerdutyRoutingKey?, anomalyWebhookUrl?, anomalyWebhookSecret?}; absent
   * when the stack configures no receiver secret.
   */
  alerting?: string;
  /** Router/trace-proxy API_KEYS format "key:tenant,..."; absent when none are configured. */
  clientApiKeys?: string;
  /** ADMIN_API_KEYS format "key,key"; absent when none are configured. */
  adminApiKeys?: string;
  /** Grafana's OIDC client secret (plain string); absent without grafanaSso. */
  grafanaOidc?: string;
}

export interface DnsZone {
  name: pulumi.Output<string>;
  id: pulumi.Output<string>;
  nameServers: pulumi.Output<string[]>;
}

/**
 * How a client verifies the managed server's certificate. The CAs are the cloud's (none chains to
 * Node's default roots but Azure's), and the check is the strongest the certificate allows.
 */
export interface PostgresTls {
  /** PEM bundle of the CAs the server certificate chains to; public material, a ConfigMap carries it. */
  caBundle: pulumi.Output<string>;
  /**
   * verify-full where the certificate names the address clients dial; verify-ca where it cannot
   * and the CA signs this one server only (Cloud SQL's per-instance CA, private IP).
   */
  sslmode: "verify-full" | "verify-ca";
}

/**
 * A Postgres login the layer is asked for, as data (the cloud layer names no workload): `id` keys the
 * result and the cloud-side names, `role` is the Postgres role the client owns, `serviceAccount` the
 * Kubernetes subject whose workload identity logs in.
 */
export interface DatabaseLoginRequest {
  id: string;
  role: string;
  serviceAccount: ServiceAccountRef;
}

/** A login that authenticates with its workload identity's token (no password anywhere). */
export interface DatabaseLogin {
  /**
   * The Postgres user the client names in its URL: `role` where the server maps the token to a role of
   * that name (RDS, Entra); the IAM user name where the server derives it from the identity (Cloud SQL:
   * the service account's email without ".gserviceaccount.com").
   */
  user: pulumi.Output<string>;
  identity: WorkloadIdentity;
  /** Azure: the managed identity's principal (object) id the roles Job maps the role to. */
  objectId?: pulumi.Output<string>;
}

export interface CloudPostgres {
  host: pulumi.Output<string>;
  port: number;
  database: string;
  /** Name of the secret-store entry holding {username,password,host,port,database,sslmode,url}. */
  secretName: pulumi.Output<string>;
  tls: PostgresTls;
  /** How the requested logins authenticate: the cloud's IAM/Entra token mode. */
  auth: DatabaseTokenAuth;
  /** One per DatabaseLoginRequest, by its id. */
  logins: Record<string, DatabaseLogin>;
  /**
   * Set where only an identity-authenticated administrator may create identity-mapped roles (Azure:
   * an Entra principal is created by the server's Entra administrator): the roles Job logs in as this
   * identity, with this user name and a token. Undefined: the Job uses the password admin of `secretName`.
   */
  tokenAdmin?: { identity: WorkloadIdentity; user: pulumi.Output<string> };
  /** Env a token client needs that its identity's webhook does not inject (the region RDS signs for). */
  clientEnv: Record<string, string>;
}

/**
 * Where Velero keeps backups: a private bucket of the cloud's object storage written by Velero's own
 * workload identity (no static credential), shaped as Velero's BackupStorageLocation takes it.
 */
export interface BackupStorage {
  /** Velero object-store provider name (its plugin implements it): aws | gcp | azure. */
  provider: "aws" | "gcp" | "azure";
  /** Bucket (S3, GCS) or blob container (Azure). */
  bucket: pulumi.Output<string>;
  /** BackupStorageLocation `config` (region, storage account, signing service account...). */
  config: pulumi.Output<Record<string, unknown>>;
}

export interface StorageClassSpec {
  provisioner: string;
  parameters: Record<string, string>;
}

export interface CloudLayer {
  cloud: Cloud;
  /** What the managed cluster brings by itself (metrics-server, node autoscaling, the dataplane). */
  facts: ClusterFacts;
  clusterName: pulumi.Output<string>;
  /** Secret: carries the exec credential plugin invocation, never a static token. */
  kubeconfig: pulumi.Output<string>;
  provider: k8s.Provider;
  dnsZone: DnsZone;
  identities: Record<IdentityConsumer, WorkloadIdentity>;
  /** Entries in the cloud secret store, by purpose. */
  secrets: SecretCatalogue;
  /** external-secrets ClusterSecretStore `spec.provider` for the cloud's secret store. */
  secretStoreProvider: pulumi.Output<Record<string, unknown>>;
  /** cert-manager ACME solver's `dns01` block (the value under `solvers[].dns01`) on the stack's zone. */
  dns01Solver: pulumi.Output<Record<string, unknown>>;
  /** external-dns chart settings: provider name plus provider-specific values. */
  externalDns: { provider: string; values: pulumi.Output<Record<string, unknown>> };
  /** Loki object storage (prod): chart `loki.storage` values; undefined keeps filesystem storage. */
  logStorage?: pulumi.Output<Record<string, unknown>>;
  /**
   * Tempo's object storage (platform.tracing.objectStorage): the chart's `tempo.storage.trace` backend
   * (`backend` plus its s3/gcs/azure block) for Tempo's identity (`identities.tempo`); undefined keeps
   * Tempo's blocks on its volume.
   */
  traceStorage?: pulumi.Output<Record<string, unknown>>;
  /** Velero's object storage; undefined when the stack keeps no backups (platform.backups.enabled). */
  backupStorage?: BackupStorage;
  postgres: CloudPostgres;
  /**
   * Where the API server's webhook and aggregated-API calls come from, when a NetworkPolicy can
   * select it: GKE private clusters dial from the control plane's /28. Undefined where it cannot: on
   * EKS the calls arrive from control-plane ENIs inside the cluster's subnets, whose addresses the VPC
   * CNI also gives to pods; on AKS they come through the konnectivity tunnel from inside the cluster.
   */
  apiServerSources?: string[];
  /**
   * Set where the cloud does not scale node pools itself (EKS managed node groups): the identity and
   * cloud-specific values of the cluster-autoscaler the platform installs. GKE and AKS autoscale
   * their pools natively (enabled in their node pool definitions) and leave it undefined.
   */
  nodeAutoscaler?: { identity: WorkloadIdentity; values: pulumi.Output<Record<string, unknown>> };
  /**
   * Annotations for the internet-facing gateway Service (type LoadBalancer): the cloud's load
   * balancer flavour and the stack's tags on what the cloud controller creates outside Pulumi.
   */
  publicLoadBalancer: { serviceAnnotations: Record<string, string> };
  storageClasses: { fastSsd: StorageClassSpec; standardSsd: StorageClassSpec; snapshotDriver: string };
}
