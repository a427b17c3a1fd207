/**
 * What keeps prod honest after it is deployed: scheduled drift detection, and one organization
 * webhook for the events someone must act on (a failed deployment, drift found or undetectable).
 */
import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";
import type { DeploymentConfig } from "./config.ts";

/** Events that need a human; successes and queued runs would drown them. */
export const ALERT_FILTERS = [
  service.WebhookFilters.DeploymentFailed,
  service.WebhookFilters.DriftDetected,
  service.WebhookFilters.DriftDetectionFailed,
  service.WebhookFilters.DriftRemediationFailed,
  service.WebhookFilters.UpdateFailed,
];

export function driftDetection(
  config: DeploymentConfig,
  project: string,
  stack: string,
  settings: service.DeploymentSettings,
): service.DriftSchedule {
  return new service.DriftSchedule(
    `drift-${stack}`,
    {
      organization: config.organization,
      project,
      stack,
      scheduleCron: config.driftCron,
      autoRemediate: config.driftAutoRemediate,
    },
    // A schedule runs a deployment: the stack's settings must exist first.
    { dependsOn: [settings] },
  );
}

export function failureWebhook(config: DeploymentConfig): service.Webhook | undefined {
  if (!config.notifications) return undefined;
  return new service.Webhook("deployment-alerts", {
    organizationName: config.organization,
    displayName: "llmops: failed deployments and drift",
    active: true,
    payloadUrl: pulumi.secret(config.notifications.url),
    format: config.notifications.format,
    filters: ALERT_FILTERS,
  });
}
