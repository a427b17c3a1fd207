/**
 * AWS implementation of the cloud layer: VPC, EKS, Route53, Secrets Manager, RDS for PostgreSQL,
 * IRSA identities and (prod) S3 log storage, wired into one kubernetes Provider.
 */
import { Provider as AwsProvider } from "@pulumi/aws/provider.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { awsAdminAccess } from "./aws/access.ts";
import { awsNodeAddons, awsWorkloadAddons } from "./aws/addons.ts";
import { awsCluster } from "./aws/cluster.ts";
import { awsDns } from "./aws/dns.ts";
import { awsFlowLogs } from "./aws/flowlogs.ts";
import { awsIrsa } from "./aws/identity.ts";
import { awsKeys } from "./aws/kms.ts";
import { awsLogStorage } from "./aws/logs.ts";
import { awsNetwork } from "./aws/network.ts";
import { awsNodeGroups } from "./aws/nodes.ts";
import { awsPostgres } from "./aws/postgres.ts";
import { awsSecretStore } from "./aws/secrets.ts";
import type { CloudContext } from "./context.ts";
import { execKubeconfig } from "./kubeconfig.ts";
import { baseName, tagList } from "./naming.ts";
import { environmentProfile } from "./profile.ts";
import {
  POSTGRES_DATABASE,
  POSTGRES_PORT,
  postgresPassword,
  secretCatalogue,
  secretEntries,
} from "./secrets.ts";
import type { CloudLayer } from "./types.ts";

export const EBS_CSI_DRIVER = "ebs.csi.aws.com";

export class AwsCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "aws" as const;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly dnsZone: CloudLayer["dnsZone"];
  readonly identities: CloudLayer["identities"];
  readonly secrets: CloudLayer["secrets"];
  readonly secretStoreProvider: CloudLayer["secretStoreProvider"];
  readonly dns01Solver: CloudLayer["dns01Solver"];
  readonly externalDns: CloudLayer["externalDns"];
  readonly logStorage: CloudLayer["logStorage"];
  readonly postgres: CloudLayer["postgres"];
  readonly publicLoadBalancer: CloudLayer["publicLoadBalancer"];
  readonly storageClasses: CloudLayer["storageClasses"] = {
    // gp3 baseline is 3000 IOPS/125 MiB/s whatever the size; fast-ssd buys more for Kafka and Prometheus.
    fastSsd: {
      provisioner: EBS_CSI_DRIVER,
      parameters: { type: "gp3", iops: "6000", throughput: "250", encrypted: "true" },
    },
    standardSsd: { provisioner: EBS_CSI_DRIVER, parameters: { type: "gp3", encrypted: "true" } },
    snapshotDriver: EBS_CSI_DRIVER,
  };

  constructor(name: string, args: { config: StackConfig }, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:cloud:AwsCloud", name, {}, opts);
    const config = args.config;
    const aws = new AwsProvider(`${name}-aws`, { region: config.region }, { parent: this });
    const ctx: CloudContext = {
      config,
      profile: environmentProfile(config),
      base: baseName(config),
      tags: config.commonTags,
      opts: { parent: this, provider: aws },
    };

    this.publicLoadBalancer = {
      serviceAnnotations: {
        // A Network Load Balancer (layer 4): TLS terminates at the Istio gateway, not at AWS.
        "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
        "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags": tagList(ctx.tags),
      },
    };

    const keys = awsKeys(ctx);
    const network = awsNetwork(ctx);
    awsFlowLogs(ctx, network.vpc);
    const eks = awsCluster(ctx, network, keys.cluster);
    const irsa = awsIrsa(ctx, { provider: eks.oidcProvider, issuer: eks.oidcIssuer });
    const nodeAddons = awsNodeAddons(ctx, eks.cluster);
    const nodeGroups = awsNodeGroups(ctx, network, eks.cluster, nodeAddons);
    awsAdminAccess(ctx, eks.cluster);
    const addons = [...nodeAddons, ...awsWorkloadAddons(ctx, eks.cluster, nodeGroups, irsa)];
    this.clusterName = eks.cluster.name;

    const dns = awsDns(ctx, irsa, this.clusterName);
    this.dnsZone = { name: dns.zone.name, id: dns.zone.zoneId, nameServers: dns.zone.nameServers };
    this.dns01Solver = dns.dns01Solver;
    this.externalDns = { provider: "aws", values: dns.externalDnsValues };

    const password = postgresPassword(`${ctx.base}-postgres`, this);
    const db = awsPostgres(ctx, network, keys.data, password);
    this.secrets = secretCatalogue(config);
    this.postgres = {
      host: db.address,
      port: POSTGRES_PORT,
      database: POSTGRES_DATABASE,
      secretName: pulumi.output(this.secrets.postgres),
    };
    const store = awsSecretStore(ctx, irsa, keys.data, secretEntries(config, { host: db.address, password }));
    this.secretStoreProvider = store.provider;

    const logs = awsLogStorage(ctx, irsa, keys.data);
    this.logStorage = logs.values;
    this.identities = {
      externalSecrets: store.externalSecrets,
      externalDns: dns.externalDns,
      certManager: dns.certManager,
      loki: logs.loki,
    };

    this.kubeconfig = pulumi.secret(
      pulumi
        .all([eks.cluster.name, eks.cluster.endpoint, eks.cluster.certificateAuthority])
        .apply(([clusterName, endpoint, ca]) =>
          execKubeconfig({
            name: clusterName,
            server: endpoint,
            certificateAuthorityData: ca.data!,
            exec: {
              command: "aws",
              args: [
                "eks",
                "get-token",
                "--cluster-name",
                clusterName,
                "--region",
                config.region,
                "--output",
                "json",
              ],
              installHint:
                "Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
            },
          }),
        ),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig },
      // Addons first: charts with PVCs need the EBS CSI driver, everything needs CoreDNS.
      { parent: this, dependsOn: addons },
    );
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
