/**
 * Plan-time validation beyond the config schema: what the clouds' APIs and the pinned releases
 * would refuse for this config, reported as one ConfigError before any resource is registered (the
 * program and the offline plan both call it), so a user meets it before `pulumi up` does.
 */
import { cloudProblems } from "./cloud/checks.ts";
import { CLUSTER_FACTS } from "./cloud/facts.ts";
import { DATABASE_LOGINS } from "./database-logins.ts";
import { ConfigError, type StackConfig } from "./config.ts";
import { platformProblems } from "./platform/checks.ts";

export function stackProblems(config: StackConfig): string[] {
  return [
    ...cloudProblems(config, DATABASE_LOGINS),
    ...platformProblems(config, CLUSTER_FACTS[config.cloud]),
  ];
}

export function validateStack(config: StackConfig): StackConfig {
  const problems = stackProblems(config);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
