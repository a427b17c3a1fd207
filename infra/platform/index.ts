/**
 * The platform layer: everything the services rely on inside the cluster. This file only wires
 * the modules together and states the install order; each module owns one component.
 *
 *   namespaces (PSA labels, default-deny NetworkPolicies) + storage classes
 *     -> external-secrets -> ClusterSecretStore; Password generator -> Grafana admin Secret
 *     -> kube-prometheus-stack (monitoring CRDs: every later chart's ServiceMonitor needs them)
 *     -> ExternalSecret (Alertmanager receivers)
 *     -> cert-manager -> ClusterIssuers
 *     -> Strimzi -> KafkaNodePool -> Kafka -> KafkaTopics, KafkaUsers
 *     -> Loki -> Alloy;  KEDA;  external-dns
 *   Gateway API CRDs -> istio base -> istio-cni -> istiod -> ingress gateway
 *     -> Certificate (cert-manager) -> Gateway -> HTTP->HTTPS redirect; EnvoyFilters (rate limits, headers)
 *   PeerAuthentication STRICT in the app namespace after istio base
 *   Gatekeeper -> ConstraintTemplates (from the policy pack) -> Constraints
 *   cluster-autoscaler (where the cloud layer asks for one: EKS)
 *   Tempo -> OpenTelemetry Collector (when platform.tracing is on)
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import { platformAlerts } from "./alerts.ts";
import { installNodeAutoscaler } from "./autoscaler.ts";
import { installCertManager } from "./certs.ts";
import type { PlatformContext } from "./context.ts";
import { installExternalDns } from "./dns.ts";
import { installGatekeeper } from "./gatekeeper.ts";
import { createPublicGateway, installGatewayApiCrds } from "./gateway.ts";
import { installIstio } from "./istio.ts";
import { APP_CA_SECRET, installKafka } from "./kafka.ts";
import { installKeda } from "./keda.ts";
import { installMetricsServer } from "./metrics-server.ts";
import { installLogging } from "./logging.ts";
import { alertReceiversSecret, installMonitoring, PROMETHEUS_RELEASE } from "./monitoring.ts";
import { ALERTMANAGER, DASHBOARD_LABEL, GATEWAY, KAFKA, SECRET_STORE, TRACING } from "./names.ts";
import { createNamespaces, NS } from "./namespaces.ts";
import { externalSecretsMonitor, installExternalSecrets } from "./secrets.ts";
import { SIZING } from "./sizing.ts";
import { createStorage } from "./storage.ts";
import { installBackups } from "./backups.ts";
import { grafanaOidcSecret, grafanaRoute, platformDashboards } from "./grafana.ts";
import { installVpaRecommender, VPA_METRICS } from "./vpa.ts";
import { installTracing, OTLP_HTTP_ENDPOINT } from "./tracing.ts";
import { installWaf } from "./waf.ts";

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
  kafka: {
    clusterName: string;
    namespace: string;
    /** TLS listener (mutual TLS: clients authenticate with their KafkaUser certificate). */
    bootstrapServers: string;
    /** Secret in appNamespace with the cluster CA certificate (key ca.crt), synced from Strimzi's. */
    caSecretName: string;
  };
  /** ClusterSecretStore backed by the cloud's secret store. */
  secretStoreName: string;
  monitoring: {
    namespace: string;
    prometheusReleaseLabel: string;
    dashboardLabel: string;
    /** Alertmanager's v2 API: the URL, and the pods and port a NetworkPolicy admits. */
    alertmanager: { url: string; port: number; podLabels: Record<string, string> };
    /** kube-state-metrics series of the VPA recommendations (labels namespace, target_name, container, resource). */
    vpaRecommendation: typeof VPA_METRICS;
  };
  /**
   * The OpenTelemetry Collector services export spans to (OTLP over HTTP), and the pods and ports a
   * NetworkPolicy admits; undefined when tracing is off.
   */
  tracing?: { otlpEndpoint: string; namespace: string; podLabels: Record<string, string>; port: number };
  /** Whether the VerticalPodAutoscaler CRD and recommender are installed (VPA objects may be created). */
  verticalPodAutoscaler: boolean;
  /** Resources custom resources must wait for (CRD-installing releases). */
  ready: pulumi.Resource[];
  /** The app namespace's Namespace object: a Helm release installing there must wait for it. */
  appNamespaceReady: pulumi.Resource[];
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
    caSecretName: APP_CA_SECRET,
  };
  readonly secretStoreName = SECRET_STORE;
  readonly monitoring = {
    namespace: NS.monitoring,
    prometheusReleaseLabel: PROMETHEUS_RELEASE,
    dashboardLabel: DASHBOARD_LABEL,
    alertmanager: {
      url: `http://${ALERTMANAGER.service}.${NS.monitoring}.svc:${ALERTMANAGER.port}`,
      port: ALERTMANAGER.port,
      podLabels: { ...ALERTMANAGER.podLabels },
    },
    vpaRecommendation: VPA_METRICS,
  };
  readonly verticalPodAutoscaler: boolean;
  readonly tracing?: PlatformOutputs["tracing"];
  readonly ready: pulumi.Resource[] = [];
  readonly appNamespaceReady: pulumi.Resource[] = [];

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:platform:Platform", name, {}, opts);
    const ctx: PlatformContext = {
      config: args.config,
      cloud: args.cloud,
      sizing: SIZING[args.config.environment],
      parent: this,
    };
    const namespaces = createNamespaces(ctx);
    this.appNamespaceReady.push(namespaces.apps);
    const storage = createStorage(ctx);
    // external-secrets first: Grafana's admin Secret and Alertmanager's receivers come through it.
    const secrets = installExternalSecrets(ctx, [namespaces.externalSecrets]);
    // Grafana mounts its OIDC client secret: the ExternalSecret (on the ClusterSecretStore) comes first.
    const oidc = grafanaOidcSecret(ctx, [secrets.release, secrets.store, namespaces.monitoring]);
    const monitoring = installMonitoring(ctx, [
      namespaces.monitoring,
      ...storage.classes,
      secrets.release,
      ...(oidc ? [oidc] : []),
    ]);
    platformDashboards(ctx, [namespaces.monitoring]);
    // Every chart below ships a ServiceMonitor: its CRD comes with kube-prometheus-stack.
    const crdsOf = (ns: pulumi.Resource) => [ns, monitoring.release];
    alertReceiversSecret(ctx, [secrets.release, secrets.store, namespaces.monitoring]);
    const gatewayApi = installGatewayApiCrds(ctx);
    // cert-manager's Gateway API solver needs the Gateway API kinds at start-up.
    const certs = installCertManager(ctx, [...crdsOf(namespaces.certManager), gatewayApi]);
    const kafka = installKafka(ctx, {
      namespaces: [namespaces.kafka, namespaces.apps],
      storage: storage.classes,
      externalSecrets: secrets.release,
      monitoring: monitoring.release,
    });
    platformAlerts(ctx, [monitoring.release]);
    externalSecretsMonitor(ctx, [monitoring.release, secrets.release]);
    const logging = installLogging(ctx, [...crdsOf(namespaces.monitoring), ...storage.classes]);
    const keda = installKeda(ctx, crdsOf(namespaces.keda));
    // Where the cloud runs none (EKS): the HPAs and the VPA recommender read its metrics API.
    const metricsServer = namespaces.metricsServer
      ? installMetricsServer(ctx, crdsOf(namespaces.metricsServer))
      : undefined;
    const dns = installExternalDns(ctx, crdsOf(namespaces.externalDns));
    const gatekeeper = installGatekeeper(ctx, [namespaces.gatekeeper]);
    // EKS only: the cloud layer asks for it where node groups have no scaler of their own.
    const nodeAutoscaler = installNodeAutoscaler(ctx);
    const istio = installIstio(ctx, {
      namespaces: [namespaces.istioSystem, namespaces.istioIngress, namespaces.apps],
      monitoring: monitoring.release,
      gatewayApi,
    });
    createPublicGateway(ctx, {
      gatewayApi,
      certManager: certs.release,
      issuers: certs.issuers,
      istioBase: istio.base,
      istiod: istio.istiod,
      ingressGateway: istio.gateway,
    });
    installWaf(ctx, { istioBase: istio.base, ingressGateway: istio.gateway });
    grafanaRoute(ctx, [gatewayApi, monitoring.release]);
    const vpa = installVpaRecommender(ctx, crdsOf(namespaces.vpa));
    this.verticalPodAutoscaler = vpa !== undefined;
    if (vpa) this.ready.push(vpa);
    installBackups(ctx, [...crdsOf(namespaces.velero), storage.snapshotClass]);
    // Both charts ship a ServiceMonitor; Tempo's volume needs its StorageClass.
    const tracing = installTracing(ctx, [...crdsOf(namespaces.monitoring), ...storage.classes]);
    if (tracing)
      this.tracing = {
        otlpEndpoint: OTLP_HTTP_ENDPOINT,
        namespace: TRACING.namespace,
        podLabels: { ...TRACING.collector.podLabels },
        port: TRACING.collector.httpPort,
      };
    this.ready.push(
      gatekeeper.release,
      gatewayApi,
      istio.base,
      istio.istiod,
      monitoring.release,
      secrets.release,
      secrets.store,
      certs.release,
      kafka.operator,
      kafka.cluster,
      keda,
    );
    if (metricsServer) this.ready.push(metricsServer);
    void logging;
    void nodeAutoscaler;
    void dns;
    this.registerOutputs({});
  }
}
