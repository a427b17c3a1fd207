/**
 * The platform layer: everything the services rely on inside the cluster. This file only wires
 * the modules together and states the install order; each module owns one component.
 *
 *   namespaces (PSA labels, default-deny NetworkPolicies) + storage classes
 *     -> kube-prometheus-stack (monitoring CRDs: every chart's ServiceMonitor needs them)
 *     -> cert-manager -> ClusterIssuers
 *     -> Strimzi -> KafkaNodePool -> Kafka -> KafkaTopics, KafkaUsers
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import { installCertManager } from "./certs.ts";
import type { PlatformContext } from "./context.ts";
import { installKafka } from "./kafka.ts";
import { DASHBOARD_LABEL, GATEWAY, KAFKA, SECRET_STORE } from "./names.ts";
import { createNamespaces, NS } from "./namespaces.ts";
import { SIZING } from "./sizing.ts";
import { createStorage } from "./storage.ts";

export interface PlatformArgs {
  config: StackConfig;
  cloud: CloudLayer;
}

/** What the apps layer needs from the platform, by name (objects are referenced by name in-cluster). */
export interface PlatformOutputs {
  /** Namespace the four services run in. */
  appNamespace: string;
  /** The north-south Gateway (Gateway API) HTTPRoutes attach to. */
  gateway: { name: string; namespace: string; httpsListener: string };
  kafka: { clusterName: string; namespace: string; bootstrapServers: string; caSecretName: string };
  /** ClusterSecretStore backed by the cloud's secret store. */
  secretStoreName: string;
  monitoring: { namespace: string; prometheusReleaseLabel: string; dashboardLabel: string };
  /** Resources custom resources must wait for (CRD-installing releases). */
  ready: pulumi.Resource[];
}

export class Platform extends pulumi.ComponentResource implements PlatformOutputs {
  readonly appNamespace = NS.apps;
  readonly gateway = {
    name: GATEWAY.name,
    namespace: GATEWAY.namespace,
    httpsListener: GATEWAY.httpsListener,
  };
  readonly kafka = {
    clusterName: KAFKA.cluster,
    namespace: KAFKA.namespace,
    bootstrapServers: `${KAFKA.cluster}-kafka-bootstrap.${KAFKA.namespace}.svc:${KAFKA.tlsPort}`,
    caSecretName: `${KAFKA.cluster}-cluster-ca-cert`,
  };
  readonly secretStoreName = SECRET_STORE;
  readonly monitoring = {
    namespace: NS.monitoring,
    prometheusReleaseLabel: "kube-prometheus-stack",
    dashboardLabel: DASHBOARD_LABEL,
  };
  readonly ready: pulumi.Resource[] = [];

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:platform:Platform", name, {}, opts);
    const ctx: PlatformContext = {
      config: args.config,
      cloud: args.cloud,
      sizing: SIZING[args.config.environment],
      parent: this,
    };
    const namespaces = createNamespaces(ctx);
    const storage = createStorage(ctx);
    const certs = installCertManager(ctx, [namespaces.certManager]);
    const kafka = installKafka(ctx, {
      namespaces: [namespaces.kafka, namespaces.apps],
      storage: storage.classes,
    });
    this.ready.push(certs.release, kafka.operator, kafka.cluster);
    this.registerOutputs({});
  }
}
