/**
 * What the three cloud components share: the CloudLayer fields, and the last step of each, which turns
 * what the cloud built into the layer's outputs (the Postgres entry, the identities, the kubeconfig
 * and the Kubernetes provider that waits for what the first Kubernetes write needs).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IdentityConsumer } from "../names.ts";
import type { StackConfig } from "../config.ts";
import { POSTGRES_DATABASE, POSTGRES_PORT, secretCatalogue } from "./secrets.ts";
import type { CloudLayer, CloudPostgres, PostgresTls, WorkloadIdentity } from "./types.ts";

export interface CloudParts {
  config: StackConfig;
  clusterName: pulumi.Output<string>;
  dnsZone: CloudLayer["dnsZone"];
  /** What each cloud's DNS module returns: the solver, external-dns values and both identities. */
  dns: {
    dns01Solver: CloudLayer["dns01Solver"];
    externalDnsValues: CloudLayer["externalDns"]["values"];
    externalDns: WorkloadIdentity;
    certManager: WorkloadIdentity;
  };
  /** external-dns's name for this cloud's DNS provider. */
  externalDnsProvider: string;
  secretStore: { provider: CloudLayer["secretStoreProvider"]; externalSecrets: WorkloadIdentity };
  logs: { values?: CloudLayer["logStorage"]; loki: WorkloadIdentity };
  traces: { values?: CloudLayer["traceStorage"]; tempo: WorkloadIdentity };
  backups: { storage?: CloudLayer["backupStorage"]; velero: WorkloadIdentity };
  /** Address the services reach the managed Postgres at, how they verify it and how they log in. */
  postgres: { host: pulumi.Output<string>; tls: PostgresTls } & Pick<
    CloudPostgres,
    "auth" | "logins" | "tokenAdmin" | "clientEnv"
  >;
  kubeconfig: pulumi.Output<string>;
  /** CIDRs the API server's webhook calls come from, where a NetworkPolicy can select them. */
  apiServerSources?: string[];
  /** The in-cluster node autoscaler's identity and values, where the cloud runs none itself. */
  nodeAutoscaler?: CloudLayer["nodeAutoscaler"];
  /** What must exist before the first Kubernetes write (nodes, CSI and DNS addons, RBAC). */
  kubernetesReady: pulumi.Input<pulumi.Resource>[];
}

export abstract class CloudComponent extends pulumi.ComponentResource implements CloudLayer {
  abstract readonly cloud: CloudLayer["cloud"];
  abstract readonly facts: CloudLayer["facts"];
  abstract readonly publicLoadBalancer: CloudLayer["publicLoadBalancer"];
  abstract readonly storageClasses: CloudLayer["storageClasses"];
  declare readonly clusterName: pulumi.Output<string>;
  declare readonly kubeconfig: pulumi.Output<string>;
  declare readonly provider: k8s.Provider;
  declare readonly dnsZone: CloudLayer["dnsZone"];
  declare readonly identities: Record<IdentityConsumer, WorkloadIdentity>;
  declare readonly secrets: CloudLayer["secrets"];
  declare readonly secretStoreProvider: CloudLayer["secretStoreProvider"];
  declare readonly dns01Solver: CloudLayer["dns01Solver"];
  declare readonly externalDns: CloudLayer["externalDns"];
  declare readonly logStorage: CloudLayer["logStorage"];
  declare readonly traceStorage: CloudLayer["traceStorage"];
  declare readonly backupStorage: CloudLayer["backupStorage"];
  declare readonly postgres: CloudLayer["postgres"];
  declare readonly nodeAutoscaler: CloudLayer["nodeAutoscaler"];
  declare readonly apiServerSources: CloudLayer["apiServerSources"];

  /** Sets the layer's outputs from what the cloud built; call once, at the end of the constructor. */
  protected publish(name: string, parts: CloudParts): void {
    const kubeconfig = pulumi.secret(parts.kubeconfig);
    const secrets = secretCatalogue(parts.config);
    const outputs: Omit<CloudLayer, "cloud" | "facts" | "publicLoadBalancer" | "storageClasses"> = {
      clusterName: parts.clusterName,
      kubeconfig,
      dnsZone: parts.dnsZone,
      dns01Solver: parts.dns.dns01Solver,
      externalDns: { provider: parts.externalDnsProvider, values: parts.dns.externalDnsValues },
      secrets,
      secretStoreProvider: parts.secretStore.provider,
      logStorage: parts.logs.values,
      traceStorage: parts.traces.values,
      backupStorage: parts.backups.storage,
      postgres: {
        ...parts.postgres,
        port: POSTGRES_PORT,
        database: POSTGRES_DATABASE,
        secretName: pulumi.output(secrets.postgres),
      },
      nodeAutoscaler: parts.nodeAutoscaler,
      apiServerSources: parts.apiServerSources,
      identities: {
        externalSecrets: parts.secretStore.externalSecrets,
        externalDns: parts.dns.externalDns,
        certManager: parts.dns.certManager,
        loki: parts.logs.loki,
        tempo: parts.traces.tempo,
        velero: parts.backups.velero,
      },
      provider: new k8s.Provider(
        `${name}-k8s`,
        { kubeconfig },
        { parent: this, dependsOn: parts.kubernetesReady },
      ),
    };
    Object.assign(this, outputs);
    this.registerOutputs({ clusterName: parts.clusterName, kubeconfig });
  }
}
