/** The platform layer: everything the services rely on inside the cluster. */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";

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
  readonly appNamespace = "llmops";
  readonly gateway = { name: "public", namespace: "istio-ingress", httpsListener: "https" };
  readonly kafka = {
    clusterName: "llmops",
    namespace: "kafka",
    bootstrapServers: "llmops-kafka-bootstrap.kafka.svc:9093",
    caSecretName: "llmops-cluster-ca-cert",
  };
  readonly secretStoreName = "cloud-secrets";
  readonly monitoring = {
    namespace: "monitoring",
    prometheusReleaseLabel: "kube-prometheus-stack",
    dashboardLabel: "grafana_dashboard",
  };
  readonly ready: pulumi.Resource[] = [];

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:platform:Platform", name, {}, opts);
    void args;
    this.registerOutputs({});
  }
}
