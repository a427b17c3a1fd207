/**
 * Pulumi Cloud settings of the platform's stacks, as code in a program of their own (a stack never
 * defines its own deployment settings): Deployments for dev, prod and the review-stack template,
 * the published policy pack and its groups, drift detection on prod, an alert webhook, ESC
 * environments with OIDC cloud logins, and GitHub Actions trusted as an OIDC issuer.
 */
import * as service from "@pulumi/pulumiservice";
import { ConfigError, loadDeploymentConfig } from "./config.ts";
import { cloudEnvironment, loginEnvironment, prodCredentialsApproval } from "./esc.ts";
import { githubActionsIssuer } from "./github-trust.ts";
import { policyGovernance } from "./governance.ts";
import { driftDetection, failureWebhook } from "./operations.ts";
import { deploymentSettingsArgs, missingIdentities } from "./settings.ts";
import { platformProject, policyPack, targetStacks } from "./targets.ts";

const config = loadDeploymentConfig();
const project = platformProject();
const targets = targetStacks();
const missing = missingIdentities(targets, config);
if (missing.length > 0) throw new ConfigError(missing);

const settings = Object.fromEntries(
  targets.map((t) => [
    t.stack,
    new service.DeploymentSettings(`settings-${t.stack}`, deploymentSettingsArgs(t, config, project)),
  ]),
);

const governance = policyGovernance(config.organization, project, policyPack(), targets);

const production = targets.filter((t) => t.role === "production");
const drift = production.map((t) => driftDetection(config, project, t.stack, settings[t.stack]!));
const webhook = failureWebhook(config);
githubActionsIssuer(config);

// One credentials environment per platform environment, for the cloud its stack deploys to.
const environments = (["dev", "prod"] as const).flatMap((env) => {
  const stack = targets.find((t) => t.environment === env && t.role !== "review-template");
  const definition = stack && loginEnvironment(stack.cloud, config.oidc[env]);
  if (!definition) return [];
  const environment = cloudEnvironment(config.organization, project, env, definition);
  if (env === "prod") prodCredentialsApproval(environment, config.organization, project, config.adminTeam);
  return [environment];
});

export const stacks = targets.map((t) => `${config.organization}/${project}/${t.stack}`);
export const policyGroups = governance.groups.map((g) => g.name);
export const driftSchedules = drift.map((d) => d.scheduleId);
export const escEnvironments = environments.map((e) => e.name);
export const alertWebhook = webhook?.displayName;
