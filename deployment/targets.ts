/**
 * What this program manages, read from the platform's own files rather than restated: the project
 * name (Pulumi.yaml), each stack's cloud and environment (Pulumi.<stack>.yaml), and the policy
 * pack's name, version and per-environment config (policies/).
 */
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import type { Cloud } from "./config.ts";

/** The repository root: the platform program and the policy pack live there. */
export const REPO_ROOT = resolve(import.meta.dirname, "..");

export type Environment = "dev" | "prod";

/** How Pulumi Deployments treats a stack of the platform project. */
export type Role =
  /** dev: previews every pull request; deploys merges when devDeployCommits is on. */
  | "integration"
  /** prod: previews every pull request, never deploys on its own (the gated workflow does). */
  | "production"
  /** pr: never deployed itself; every pull request gets a review stack copied from it. */
  | "review-template";

export interface TargetStack {
  stack: string;
  role: Role;
  cloud: Cloud;
  environment: Environment;
}

/** The platform stacks this program configures, by role. */
export const ROLES: Record<string, Role> = { dev: "integration", prod: "production", pr: "review-template" };

const readYaml = (path: string) => parse(readFileSync(join(REPO_ROOT, path), "utf8")) as Record<string, any>;

export function platformProject(): string {
  const name = readYaml("Pulumi.yaml").name;
  if (typeof name !== "string") throw new Error("Pulumi.yaml at the repository root has no project name");
  return name;
}

export function targetStacks(): TargetStack[] {
  const project = platformProject();
  return Object.entries(ROLES).map(([stack, role]) => {
    const config = readYaml(`Pulumi.${stack}.yaml`).config ?? {};
    const cloud = config[`${project}:cloud`];
    const environment = config[`${project}:environment`];
    if (!["aws", "gcp", "azure"].includes(cloud) || !["dev", "prod"].includes(environment))
      throw new Error(`Pulumi.${stack}.yaml must set ${project}:cloud and ${project}:environment`);
    return { stack, role, cloud, environment };
  });
}

export interface PolicyPackFacts {
  name: string;
  version: string;
  /** The pack's folder relative to the working directory (Pulumi tarballs it from there). */
  sourcePath: string;
  /** policies/config/<env>.json: the --policy-pack-config of each environment. */
  config: Record<Environment, Record<string, unknown>>;
}

export function policyPack(cwd = process.cwd()): PolicyPackFacts {
  const dir = join(REPO_ROOT, "policies");
  // The pack names itself in its entry point; reading it there keeps one source for the name.
  const name = /new PolicyPack\(\s*"([\w.-]+)"/.exec(readFileSync(join(dir, "index.ts"), "utf8"))?.[1];
  const version = readYaml("policies/PulumiPolicy.yaml").version;
  if (!name || typeof version !== "string")
    throw new Error("policies/: cannot read the pack's name (index.ts) or version (PulumiPolicy.yaml)");
  const envConfig = (env: Environment) =>
    JSON.parse(readFileSync(join(dir, "config", `${env}.json`), "utf8")) as Record<string, unknown>;
  return {
    name,
    version,
    sourcePath: relative(cwd, dir),
    config: { dev: envConfig("dev"), prod: envConfig("prod") },
  };
}
