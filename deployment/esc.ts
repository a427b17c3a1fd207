/**
 * ESC environments with short-lived cloud credentials per platform environment, through the same
 * federated identities as Deployments (aws-login / gcp-login / azure-login with OIDC). They serve
 * people and tools outside Deployments: `pulumi env run <org>/<project>/<env>-cloud -- pulumi preview`,
 * or an `environment:` import in a stack file.
 */
import * as pulumi from "@pulumi/pulumi";
import * as service from "@pulumi/pulumiservice";
import { stringify } from "yaml";
import type { Cloud, OidcPerCloud } from "./config.ts";

/** The environment definition: a login provider and the variables each cloud's SDK reads. */
export function loginEnvironment(
  cloud: Cloud,
  identities: OidcPerCloud,
): Record<string, unknown> | undefined {
  if (cloud === "aws" && identities.aws) {
    const { roleArn, sessionName, duration } = identities.aws;
    return {
      values: {
        aws: { login: { "fn::open::aws-login": { oidc: { roleArn, sessionName, duration } } } },
        environmentVariables: {
          AWS_ACCESS_KEY_ID: "${aws.login.accessKeyId}",
          AWS_SECRET_ACCESS_KEY: "${aws.login.secretAccessKey}",
          AWS_SESSION_TOKEN: "${aws.login.sessionToken}",
        },
      },
    };
  }
  if (cloud === "gcp" && identities.gcp) {
    const g = identities.gcp;
    return {
      values: {
        gcp: {
          login: {
            "fn::open::gcp-login": {
              project: Number(g.projectNumber),
              oidc: {
                workloadPoolId: g.workloadPoolId,
                providerId: g.providerId,
                serviceAccount: g.serviceAccount,
              },
            },
          },
        },
        environmentVariables: {
          GOOGLE_CLOUD_PROJECT: "${gcp.login.project}",
          GOOGLE_OAUTH_ACCESS_TOKEN: "${gcp.login.accessToken}",
        },
      },
    };
  }
  if (cloud === "azure" && identities.azure) {
    return {
      values: {
        azure: { login: { "fn::open::azure-login": { ...identities.azure, oidc: true } } },
        environmentVariables: {
          ARM_USE_OIDC: "true",
          ARM_CLIENT_ID: "${azure.login.clientId}",
          ARM_TENANT_ID: "${azure.login.tenantId}",
          ARM_SUBSCRIPTION_ID: "${azure.login.subscriptionId}",
          ARM_OIDC_TOKEN: "${azure.login.oidc.token}",
        },
      },
    };
  }
  return undefined;
}

export function cloudEnvironment(
  organization: string,
  project: string,
  env: string,
  definition: Record<string, unknown>,
): service.Environment {
  return new service.Environment(`esc-${env}-cloud`, {
    organization,
    project,
    name: `${env}-cloud`,
    yaml: new pulumi.asset.StringAsset(stringify(definition)),
  });
}

/**
 * A change to prod's credentials environment (which role, which account) is a change to what can
 * touch prod: it waits for an administrator other than its author, and again after any edit.
 */
export function prodCredentialsApproval(
  environment: service.Environment,
  organization: string,
  project: string,
  adminTeam: string,
): service.ApprovalRule {
  return new service.ApprovalRule(
    "esc-prod-cloud-approval",
    {
      name: "prod credentials change review",
      enabled: true,
      environmentIdentifier: { organization, project, name: environment.name },
      targetActionTypes: [service.TargetActionType.Update],
      approvalRuleConfig: {
        numApprovalsRequired: 1,
        allowSelfApproval: false,
        requireReapprovalOnChange: true,
        eligibleApprovers: [{ teamName: adminTeam }],
      },
    },
    { dependsOn: [environment] },
  );
}
