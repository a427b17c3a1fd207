/**
 * LlmService: one service's profile in, its complete production object set out. The checklist
 * items (security context, probes, spreading, PDB, autoscaling, least-privilege network, mTLS,
 * monitoring, alerting, dashboards, external secrets) are not options: they hold by construction.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadIdentity } from "../cloud/types.ts";
import { configChecksum, configData, configMap, configMapName, filesConfigMapName } from "./configmap.ts";
import { type AppsContext, publicHost, selectorLabels, serviceLabels, serviceUrl } from "./context.ts";
import { authorizationPolicy, destinationRule, peerAuthentication } from "./mesh.ts";
import { kafkaUser } from "./kafka-user.ts";
import { httpRoute, networkPolicy, service } from "./network.ts";
import { dashboard } from "./observability/dashboard.ts";
import { prometheusRule } from "./observability/rules.ts";
import { serviceMonitor } from "./observability/service-monitor.ts";
import type { ServiceProfile } from "./profile.ts";
import { autoscaler, disruptionBudget } from "./scaling.ts";
import { externalSecret, secretName } from "./secrets.ts";
import { verticalPodAutoscaler } from "./vpa.ts";
import { deployment, podAnnotations, serviceAccount } from "./workload.ts";

export interface LlmServiceArgs {
  profile: ServiceProfile;
  context: AppsContext;
  /** The cloud identity the ServiceAccount assumes, for services that call cloud APIs. */
  identity?: WorkloadIdentity;
  /** Namespace-wide objects the pods need first (the Postgres CA bundle, the roles Job). */
  needs?: pulumi.Resource[];
  /** The Secret with the service's own DATABASE_URL, for a Postgres user (database.ts). */
  databaseSecretName?: string;
  /** How that URL logs in (database.ts databaseClientEnv). */
  databaseEnv?: k8s.types.input.core.v1.EnvVar[];
}

export class LlmService extends pulumi.ComponentResource {
  readonly serviceName: ServiceProfile["name"];
  /** In-cluster base URL (http://<name>.<ns>.svc.cluster.local:8080). */
  readonly url: string;
  /** Public HTTPS URL when the service is routed through the Gateway. */
  readonly publicUrl?: string;

  constructor(name: string, args: LlmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:apps:LlmService", name, {}, opts);
    const { profile, context: ctx, identity } = args;
    // The cloud bound the identity to a subject before this ServiceAccount existed: it must be this one.
    if (
      identity &&
      (identity.serviceAccount.namespace !== ctx.platform.appNamespace ||
        identity.serviceAccount.name !== profile.name)
    )
      throw new Error(
        `${profile.name}: its cloud identity trusts ${identity.serviceAccount.namespace}/${identity.serviceAccount.name}, not its ServiceAccount ${ctx.platform.appNamespace}/${profile.name}`,
      );
    const sizing = profile.sizing[ctx.config.environment];
    const labels = serviceLabels(ctx, profile.name, profile.component);
    const child: pulumi.CustomResourceOptions = { parent: this };
    // Custom resources need their CRDs (installed by the platform's releases).
    const cr: pulumi.CustomResourceOptions = { parent: this, dependsOn: ctx.platform.ready };

    const envData = configData(ctx, profile, sizing);
    const env = configMap(ctx, configMapName(profile), envData, labels, child);
    const files = profile.files
      ? configMap(ctx, filesConfigMapName(profile), profile.files, labels, child)
      : undefined;
    const secret = externalSecret(ctx, profile, labels, cr);
    const account = serviceAccount(ctx, profile, labels, identity, child);

    const workload = deployment(
      ctx,
      {
        profile,
        sizing,
        labels,
        selector: selectorLabels(labels),
        serviceAccountName: profile.name,
        configMapName: configMapName(profile),
        ...(files ? { filesConfigMapName: filesConfigMapName(profile) } : {}),
        ...(secret ? { secretName: secretName(profile) } : {}),
        ...(args.databaseSecretName ? { databaseSecretName: args.databaseSecretName } : {}),
        ...(args.databaseEnv ? { databaseEnv: args.databaseEnv } : {}),
        identityLabels: identity?.podLabels ?? {},
        annotations: podAnnotations(ctx, profile, configChecksum(envData, profile.files ?? {})),
      },
      {
        parent: this,
        dependsOn: [
          env,
          account,
          ...(files ? [files] : []),
          ...(secret ? [secret] : []),
          ...(args.needs ?? []),
        ],
      },
    );
    const after = (opts: pulumi.CustomResourceOptions) => ({
      ...opts,
      dependsOn: [...((opts.dependsOn as pulumi.Resource[]) ?? []), workload],
    });

    kafkaUser(ctx, profile, labels, cr);
    service(ctx, profile, labels, child);
    networkPolicy(ctx, profile, labels, child);
    destinationRule(ctx, profile, labels, cr);
    peerAuthentication(ctx, profile, labels, cr);
    authorizationPolicy(ctx, profile, labels, cr);
    httpRoute(ctx, profile, labels, cr);
    autoscaler(ctx, profile, sizing, labels, after(cr));
    verticalPodAutoscaler(ctx, profile, labels, after(cr));
    disruptionBudget(ctx, profile, sizing, labels, after(child));
    serviceMonitor(ctx, profile, labels, cr);
    prometheusRule(ctx, profile, labels, cr);
    dashboard(ctx, profile, labels, child);

    this.serviceName = profile.name;
    this.url = serviceUrl(ctx, profile.name);
    if (profile.route) this.publicUrl = `https://${publicHost(ctx, profile.route.subdomain)}`;
    this.registerOutputs({ url: this.url, publicUrl: this.publicUrl });
  }
}
