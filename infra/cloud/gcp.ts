/**
 * GCP implementation of the cloud layer: VPC-native network with Cloud NAT, private GKE with Workload
 * Identity, Cloud DNS, Secret Manager under CMEK, private Cloud SQL and (prod) GCS log and trace storage,
 * wired into one kubernetes Provider.
 */
import { getZonesOutput } from "@pulumi/gcp/compute/getZones.js";
import { Provider as GcpProvider } from "@pulumi/gcp/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { RandomId } from "@pulumi/random/randomId.js";
import type { StackConfig } from "../config.ts";
import type { CloudContext } from "./context.ts";
import { gcpApis } from "./gcp/apis.ts";
import { gcpBackupStorage } from "./gcp/backups.ts";
import { gcpCluster } from "./gcp/cluster.ts";
import { gcpDns } from "./gcp/dns.ts";
import { gcpControlPlaneFirewall } from "./gcp/firewall.ts";
import { gcpKeys } from "./gcp/kms.ts";
import { gcpLogStorage } from "./gcp/logs.ts";
import { gcpTraceStorage } from "./gcp/traces.ts";
import { gcpNetwork } from "./gcp/network.ts";
import { gcpNodePools } from "./gcp/nodes.ts";
import { CLOUD_SQL_TLS_MODE, cloudSqlCaBundle, gcpPostgres, gcpPostgresLogins } from "./gcp/postgres.ts";
import { gcpSecretStore } from "./gcp/secrets.ts";
import { execKubeconfig } from "./kubeconfig.ts";
import { baseName, gcpLabels } from "./naming.ts";
import { environmentProfile } from "./profile.ts";
import { postgresPassword, secretEntries } from "./secrets.ts";
import { CloudComponent } from "./component.ts";
import { CLUSTER_FACTS } from "./facts.ts";
import type { CloudLayer, DatabaseLoginRequest } from "./types.ts";

export const PD_CSI_DRIVER = "pd.csi.storage.gke.io";

export class GcpCloud extends CloudComponent {
  readonly cloud = "gcp" as const;
  readonly facts = CLUSTER_FACTS.gcp;
  readonly publicLoadBalancer: CloudLayer["publicLoadBalancer"] = {
    // Backend-service based external passthrough Network LB: GKE's recommended L4 load balancer.
    serviceAnnotations: { "cloud.google.com/l4-rbs": "enabled" },
  };
  readonly storageClasses: CloudLayer["storageClasses"] = {
    fastSsd: { provisioner: PD_CSI_DRIVER, parameters: { type: "pd-ssd" } },
    standardSsd: { provisioner: PD_CSI_DRIVER, parameters: { type: "pd-balanced" } },
    snapshotDriver: PD_CSI_DRIVER,
  };

  constructor(
    name: string,
    args: { config: StackConfig; databaseLogins: readonly DatabaseLoginRequest[] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("llmops:cloud:GcpCloud", name, {}, opts);
    const config = args.config;
    if (!config.gcp) throw new Error("gcp.project is required when cloud is gcp");
    const project = config.gcp.project;
    const base = baseName(config);
    const gcp = new GcpProvider(`${name}-gcp`, { project, region: config.region }, { parent: this });
    const apis = gcpApis(base, project, { parent: this, provider: gcp });
    const ctx: CloudContext = {
      config,
      profile: environmentProfile(config),
      base,
      tags: gcpLabels(config.commonTags),
      opts: { parent: this, provider: gcp, dependsOn: apis },
    };
    // Globally unique or never-reusable names (key rings, buckets, Cloud SQL) get this suffix.
    const suffix = new RandomId(`${base}-suffix`, { byteLength: 2 }, { parent: this }).hex;
    // Waits for the APIs: on a fresh project the zone list needs the Compute API enabled first.
    const zones = getZonesOutput(
      { region: config.region, project },
      { parent: this, provider: gcp, dependsOn: apis },
    ).names;

    const keys = gcpKeys(ctx, project, suffix);
    const network = gcpNetwork(ctx);
    const gke = gcpCluster(ctx, project, network, keys, zones);
    const nodePools = gcpNodePools(ctx, project, gke.cluster, gke.location);
    const webhooks = gcpControlPlaneFirewall(ctx, network);

    const dns = gcpDns(ctx, project, gke.cluster);
    const password = postgresPassword(`${base}-postgres`, this);
    const db = gcpPostgres(ctx, project, network, keys, suffix, password);
    const store = gcpSecretStore(
      ctx,
      project,
      gke.cluster,
      keys,
      secretEntries(config, { host: db.privateIpAddress, password, sslmode: CLOUD_SQL_TLS_MODE }),
    );
    this.publish(name, {
      config,
      clusterName: gke.cluster.name,
      dnsZone: {
        name: dns.zone.dnsName.apply((n) => n.replace(/\.$/, "")),
        id: dns.zone.name,
        nameServers: dns.zone.nameServers,
      },
      dns,
      externalDnsProvider: "google",
      secretStore: store,
      logs: gcpLogStorage(ctx, project, gke.cluster, suffix),
      traces: gcpTraceStorage(ctx, project, gke.cluster, suffix),
      backups: gcpBackupStorage(ctx, project, gke.cluster, suffix),
      // Private cluster: the control plane dials webhooks from its own /28 (the firewall admits it too).
      apiServerSources: [network.ranges.master],
      postgres: {
        host: db.privateIpAddress,
        tls: { caBundle: cloudSqlCaBundle(db), sslmode: CLOUD_SQL_TLS_MODE },
        auth: "gcp-iam",
        logins: gcpPostgresLogins(ctx, project, gke.cluster, db, args.databaseLogins),
        clientEnv: {},
      },
      kubeconfig: pulumi
        .all([gke.cluster.name, gke.cluster.endpoint, gke.cluster.masterAuth])
        .apply(([clusterName, endpoint, auth]) =>
          execKubeconfig({
            name: `gke_${project}_${clusterName}`,
            server: `https://${endpoint}`,
            certificateAuthorityData: auth.clusterCaCertificate!,
            exec: {
              command: "gke-gcloud-auth-plugin",
              args: [],
              installHint:
                "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin (https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl)",
            },
          }),
        ),
      // Charts need schedulable nodes (the default pool is removed right after creation), and
      // their webhooks need the control plane to reach them.
      kubernetesReady: [...nodePools, webhooks],
    });
  }
}
