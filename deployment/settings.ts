/**
 * DeploymentSettings of each platform stack: where the code comes from (the `vcs` block; `github`
 * is deprecated), what triggers a run, what runs before the Pulumi operation, and which cloud
 * identity the run assumes through OIDC (no long-lived keys anywhere in the settings).
 */
import type * as service from "@pulumi/pulumiservice";
import type { Cloud, DeploymentConfig, OidcPerCloud } from "./config.ts";
import type { TargetStack } from "./targets.ts";

type SettingsArgs = service.DeploymentSettingsArgs;
type Oidc = NonNullable<service.types.input.DeploymentSettingsOperationContextArgs["oidc"]>;

/** Changes that can alter what a stack deploys: the program, the pack, the lockfile, the stack file. */
export function watchedPaths(stack: string): string[] {
  return [
    "infra/**",
    "policies/**",
    "Pulumi.yaml",
    `Pulumi.${stack}.yaml`,
    "package.json",
    "package-lock.json",
  ];
}

/** Where the TTL backstop script reads a review stack's lifetime from. */
export const TTL_HOURS_VARIABLE = "REVIEW_STACK_TTL_HOURS";

/**
 * Commands before every operation: install, then the offline plan, whose exit code is the same
 * gate CI applies (mandatory policy violation or invalid manifest = the deployment fails before
 * Pulumi touches the cloud). Review stacks also register their TTL backstop.
 */
export function preRunCommands(target: TargetStack): string[] {
  const commands = [
    "npm ci --no-audit --no-fund",
    `npm run plan -- ${target.stack} --out out/deployment-plan`,
  ];
  if (target.role === "review-template") commands.push("npx tsx deployment/review-ttl.ts");
  return commands;
}

/** The OIDC block for the stack's own cloud; a missing identity is a config error naming its key. */
export function oidcFor(cloud: Cloud, identities: OidcPerCloud): Oidc | undefined {
  if (cloud === "aws" && identities.aws) {
    const { roleArn, sessionName, duration } = identities.aws;
    return { aws: { roleARN: roleArn, sessionName, duration } };
  }
  if (cloud === "gcp" && identities.gcp) {
    const g = identities.gcp;
    return {
      gcp: {
        projectId: g.projectNumber,
        workloadPoolId: g.workloadPoolId,
        providerId: g.providerId,
        serviceAccount: g.serviceAccount,
        tokenLifetime: g.tokenLifetime,
      },
    };
  }
  if (cloud === "azure" && identities.azure) return { azure: { ...identities.azure } };
  return undefined;
}

/** Missing identities, by key, for stacks whose cloud has none configured. */
export function missingIdentities(targets: TargetStack[], config: DeploymentConfig): string[] {
  return targets
    .filter((t) => !config.oidc[t.environment][t.cloud])
    .map((t) => `oidc.${t.environment}.${t.cloud}: required (Pulumi.${t.stack}.yaml deploys to ${t.cloud})`);
}

export function deploymentSettingsArgs(
  target: TargetStack,
  config: DeploymentConfig,
  project: string,
): SettingsArgs {
  const review = target.role === "review-template";
  return {
    organization: config.organization,
    project,
    stack: target.stack,
    vcs: {
      provider: "github",
      repository: config.repository,
      // Review stacks preview and update on their own pull request; the template never deploys.
      deployCommits: target.role === "integration" ? config.devDeployCommits : false,
      previewPullRequests: !review,
      pullRequestTemplate: review,
      paths: watchedPaths(target.stack),
    },
    sourceContext: { git: { branch: `refs/heads/${config.branch}`, repoDir: "." } },
    operationContext: {
      preRunCommands: preRunCommands(target),
      environmentVariables: {
        CI: "true",
        ...(review ? { [TTL_HOURS_VARIABLE]: String(config.reviewStackTtlHours) } : {}),
      },
      oidc: oidcFor(target.cloud, config.oidc[target.environment]),
      options: {
        // npm ci runs in preRunCommands (the plan needs it first); a second install is wasted time.
        skipInstallDependencies: true,
        // A burst of merges deploys the newest commit once instead of every intermediate one.
        skipIntermediateDeployments: true,
        // A review stack destroyed on merge or close leaves no empty stack behind.
        ...(review ? { deleteAfterDestroy: true } : {}),
      },
    },
    cacheOptions: { enable: true },
  };
}
