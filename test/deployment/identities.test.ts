/**
 * The cloud identities a platform stack's deployments and ESC environments assume: one OIDC block
 * for the cloud its stack file names, shaped as Pulumi Deployments and ESC's login providers take it.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_KEYS, type DeploymentConfig, parseDeploymentConfig } from "../../deployment/config.ts";
import { loginEnvironment } from "../../deployment/esc.ts";
import { missingIdentities, oidcFor } from "../../deployment/settings.ts";
import type { TargetStack } from "../../deployment/targets.ts";
import { ROOT } from "../helpers/plan.ts";

const identities = {
  aws: { roleArn: "arn:aws:iam::123456789012:role/deployer", sessionName: "pulumi-deployments" },
  gcp: {
    projectNumber: "123456789012",
    workloadPoolId: "pulumi-pool",
    providerId: "pulumi-oidc",
    serviceAccount: "deployer@acme-dev.iam.gserviceaccount.com",
  },
  azure: {
    clientId: "3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b",
    tenantId: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
    subscriptionId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
  },
};

function config(oidc: object = { dev: identities, prod: identities }): DeploymentConfig {
  return parseDeploymentConfig({ organization: "acme", repository: "acme/llmops-platform", oidc }, new Set());
}

describe("OIDC for Pulumi Deployments", () => {
  const parsed = config().oidc.dev;

  it("aws: the role to assume and the session name, with a bounded session", () => {
    expect(oidcFor("aws", parsed)).toEqual({
      aws: { roleARN: identities.aws.roleArn, sessionName: "pulumi-deployments", duration: "1h0m0s" },
    });
  });

  it("gcp: workload identity pool, provider and service account of the project number", () => {
    expect(oidcFor("gcp", parsed)).toEqual({
      gcp: {
        projectId: "123456789012",
        workloadPoolId: "pulumi-pool",
        providerId: "pulumi-oidc",
        serviceAccount: "deployer@acme-dev.iam.gserviceaccount.com",
        tokenLifetime: "1h0m0s",
      },
    });
  });

  it("azure: client, tenant and subscription of the federated identity", () => {
    expect(oidcFor("azure", parsed)).toEqual({ azure: identities.azure });
  });

  it("only the stack's own cloud: other clouds' identities are not handed to the run", () => {
    expect(Object.keys(oidcFor("gcp", parsed)!)).toEqual(["gcp"]);
  });

  it("a stack whose cloud has no identity is a config problem naming the key to set", () => {
    const targets: TargetStack[] = [
      { stack: "dev", role: "integration", cloud: "gcp", environment: "dev" },
      { stack: "prod", role: "production", cloud: "azure", environment: "prod" },
    ];
    expect(
      missingIdentities(targets, config({ dev: { aws: identities.aws }, prod: { azure: identities.azure } })),
    ).toEqual(["oidc.dev.gcp: required (Pulumi.dev.yaml deploys to gcp)"]);
  });
});

describe("ESC credentials environments", () => {
  const parsed = config().oidc.dev;

  it("aws-login exports the session's keys to the AWS SDK", () => {
    const env = loginEnvironment("aws", parsed) as any;
    expect(env.values.aws.login["fn::open::aws-login"].oidc).toEqual({
      roleArn: identities.aws.roleArn,
      sessionName: "pulumi-deployments",
      duration: "1h0m0s",
    });
    expect(Object.keys(env.values.environmentVariables)).toEqual([
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
    ]);
  });

  it("gcp-login takes the numeric project and exports an access token", () => {
    const env = loginEnvironment("gcp", parsed) as any;
    expect(env.values.gcp.login["fn::open::gcp-login"]).toEqual({
      project: 123456789012,
      oidc: {
        workloadPoolId: "pulumi-pool",
        providerId: "pulumi-oidc",
        serviceAccount: "deployer@acme-dev.iam.gserviceaccount.com",
      },
    });
    expect(env.values.environmentVariables.GOOGLE_OAUTH_ACCESS_TOKEN).toBe("${gcp.login.accessToken}");
  });

  it("azure-login federates through OIDC and exports the ARM_* variables", () => {
    const env = loginEnvironment("azure", parsed) as any;
    expect(env.values.azure.login["fn::open::azure-login"]).toEqual({ ...identities.azure, oidc: true });
    expect(env.values.environmentVariables).toMatchObject({ ARM_USE_OIDC: "true" });
  });

  it("renders as YAML an ESC environment accepts (values at the top, no static secret)", () => {
    const env = loginEnvironment("azure", parsed)!;
    expect(Object.keys(parse(JSON.stringify(env)))).toEqual(["values"]);
    expect(JSON.stringify(env)).not.toMatch(/clientSecret|password/i);
  });
});

describe("deployment config", () => {
  it("every key is documented in the README and declared or set in the acme stack", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Delivery"));
    const declared =
      readFileSync(join(ROOT, "deployment/Pulumi.yaml"), "utf8") +
      readFileSync(join(ROOT, "deployment/Pulumi.acme.yaml"), "utf8");
    for (const key of CONFIG_KEYS) {
      expect(section).toContain(`\`${key}`);
      expect(declared).toContain(`llmops-deployment:${key}:`);
    }
  });

  it("fills the defaults a platform team expects", () => {
    expect(config()).toMatchObject({
      branch: "main",
      devDeployCommits: false,
      reviewStackTtlHours: 72,
      driftCron: "0 */6 * * *",
      driftAutoRemediate: false,
    });
  });

  it("reports every problem by key at once", () => {
    expect(() =>
      parseDeploymentConfig(
        { repository: "acme", oidc: { dev: { aws: { roleArn: "role" } }, prod: {}, stage: {} } },
        new Set(),
      ),
    ).toThrow(
      expect.objectContaining({
        problems: [
          "organization: required",
          "repository: a GitHub repository as owner/name",
          "oidc.dev.aws.roleArn: an IAM role ARN",
          "oidc: unknown key 'stage'",
        ],
      }),
    );
  });
});
