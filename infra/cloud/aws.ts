/**
 * AWS implementation of the cloud layer: VPC, EKS, Route53, Secrets Manager, RDS for PostgreSQL,
 * IRSA identities and (prod) S3 log and trace storage, wired into one kubernetes Provider.
 */
import { Provider as AwsProvider } from "@pulumi/aws/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { awsAdminAccess } from "./aws/access.ts";
import { awsBackupStorage } from "./aws/backups.ts";
import { awsNodeAddons, awsWorkloadAddons } from "./aws/addons.ts";
import { awsNodeAutoscaler } from "./aws/autoscaler.ts";
import { awsCluster } from "./aws/cluster.ts";
import { awsDns } from "./aws/dns.ts";
import { awsFlowLogs } from "./aws/flowlogs.ts";
import { awsIrsa } from "./aws/identity.ts";
import { awsKeys } from "./aws/kms.ts";
import { awsLogStorage } from "./aws/logs.ts";
import { awsNetwork } from "./aws/network.ts";
import { awsNodeGroups } from "./aws/nodes.ts";
import { awsPostgres, awsPostgresLogins } from "./aws/postgres.ts";
import { rdsCaBundle } from "./aws/postgres-ca.ts";
import { awsSecretStore } from "./aws/secrets.ts";
import { awsTraceStorage } from "./aws/traces.ts";
import type { CloudContext } from "./context.ts";
import { execKubeconfig } from "./kubeconfig.ts";
import { baseName, tagList } from "./naming.ts";
import { environmentProfile } from "./profile.ts";
import { postgresPassword, secretEntries } from "./secrets.ts";
import { CloudComponent } from "./component.ts";
import { CLUSTER_FACTS } from "./facts.ts";
import type { CloudLayer, DatabaseLoginRequest } from "./types.ts";

export const EBS_CSI_DRIVER = "ebs.csi.aws.com";

export class AwsCloud extends CloudComponent {
  readonly cloud = "aws" as const;
  readonly facts = CLUSTER_FACTS.aws;
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

  constructor(
    name: string,
    args: { config: StackConfig; databaseLogins: readonly DatabaseLoginRequest[] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
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

    const dns = awsDns(ctx, irsa, eks.cluster.name);
    const password = postgresPassword(`${ctx.base}-postgres`, this);
    const db = awsPostgres(ctx, network, keys.data, password);
    // The RDS certificate names the instance's endpoint, the address the services dial: verify-full.
    const tls = { caBundle: pulumi.output(rdsCaBundle(config.region)), sslmode: "verify-full" } as const;
    const store = awsSecretStore(
      ctx,
      irsa,
      keys.data,
      secretEntries(config, { host: db.address, password, sslmode: tls.sslmode }),
    );
    this.publish(name, {
      config,
      clusterName: eks.cluster.name,
      dnsZone: { name: dns.zone.name, id: dns.zone.zoneId, nameServers: dns.zone.nameServers },
      dns,
      externalDnsProvider: "aws",
      secretStore: store,
      logs: awsLogStorage(ctx, irsa, keys.data),
      traces: awsTraceStorage(ctx, irsa, keys.data),
      backups: awsBackupStorage(ctx, irsa, keys.data),
      postgres: {
        host: db.address,
        tls,
        auth: "aws-iam",
        logins: awsPostgresLogins(ctx, irsa, db, args.databaseLogins),
        // The signer needs the region; IRSA injects only the role and the token file.
        clientEnv: { AWS_REGION: config.region },
      },
      nodeAutoscaler: awsNodeAutoscaler(ctx, irsa, eks.cluster),
      kubeconfig: pulumi
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
      // Addons first: charts with PVCs need the EBS CSI driver, everything needs CoreDNS.
      kubernetesReady: addons,
    });
  }
}
