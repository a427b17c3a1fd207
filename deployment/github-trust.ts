/**
 * GitHub Actions as a trusted OIDC issuer of the organization: the workflows exchange their job's
 * token for a short-lived Pulumi token (pulumi/auth-actions), so no Pulumi token is stored in
 * GitHub. Each policy matches one kind of job by its subject claim, and grants the least token.
 */
import * as service from "@pulumi/pulumiservice";
import type { DeploymentConfig } from "./config.ts";

export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** The workflows' GitHub environments (deploy jobs) and pull requests (previews), by subject. */
export function trustPolicies(config: DeploymentConfig): service.types.input.AuthPolicyDefinitionArgs[] {
  const subject = (suffix: string) => ({ sub: `repo:${config.repository}:${suffix}` });
  const organizationToken = (suffix: string) => ({
    decision: service.AuthPolicyDecision.Allow,
    tokenType: service.AuthPolicyTokenType.Organization,
    authorizedPermissions: [service.AuthPolicyPermissionLevel.Standard],
    rules: subject(suffix),
  });
  return [
    organizationToken("pull_request"),
    organizationToken("environment:dev"),
    organizationToken("environment:prod"),
    // Settings, policy groups and webhooks are the admin team's: only that job gets its token.
    {
      decision: service.AuthPolicyDecision.Allow,
      tokenType: service.AuthPolicyTokenType.Team,
      teamName: config.adminTeam,
      rules: subject("environment:pulumi-cloud"),
    },
  ];
}

export function githubActionsIssuer(config: DeploymentConfig): service.OidcIssuer {
  return new service.OidcIssuer("github-actions", {
    organization: config.organization,
    name: "github-actions",
    url: GITHUB_ACTIONS_ISSUER,
    // A job's token outlives no job: the longest (prod deploy) is capped at 90 minutes.
    maxExpirationSeconds: 2 * 3600,
    policies: trustPolicies(config),
  });
}
