/**
 * The deployment-settings program (deployment/) planned offline with the same plan tool as the
 * platform: which Pulumi Cloud objects it declares for each platform stack, with which inputs, and
 * that nothing secret reaches what the plan writes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Inventory, InventoryResource } from "../../infra/offline/inventory.ts";
import { ROOT, runPlanCliAsync } from "../helpers/plan.ts";

const SETTINGS = "pulumiservice:index:DeploymentSettings";

interface ProgramPlan {
  status: number | null;
  stderr: string;
  inventory: Inventory;
  written: string;
  one(type: string, name: string): InventoryResource;
}

async function planDeployment(...overrides: string[]): Promise<ProgramPlan> {
  const run = await runPlanCliAsync([
    "--program",
    "deployment",
    "acme",
    ...overrides.flatMap((o) => ["-c", o]),
  ]);
  if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
  const resources = readFileSync(join(run.outDir, "resources.json"), "utf8");
  const inventory = JSON.parse(resources) as Inventory;
  return {
    status: run.status,
    stderr: run.stderr,
    inventory,
    written: resources + readFileSync(join(run.outDir, "report.md"), "utf8"),
    one(type, name) {
      const found = inventory.resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
      return found[0]!;
    },
  };
}

const stackFile = (stack: string) => readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
const policyConfig = (env: string) =>
  JSON.parse(readFileSync(join(ROOT, "policies/config", `${env}.json`), "utf8")) as object;

describe("the deployment program's boundaries", () => {
  it("is a project of its own that imports nothing from the platform program", () => {
    const dir = join(ROOT, "deployment");
    expect(parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8"))).toMatchObject({
      name: "llmops-deployment",
      main: "index.ts",
    });
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const imports = [...readFileSync(join(dir, file), "utf8").matchAll(/from "([^"]+)"/g)].map(
        (m) => m[1]!,
      );
      expect(
        imports.filter((i) => i.includes("infra") || i.startsWith("../")),
        file,
      ).toEqual([]);
    }
  });
});

describe("the deployment program's acme stack", () => {
  let plan: ProgramPlan;
  beforeAll(async () => {
    plan = await planDeployment();
  });

  it("plans offline (exit 0) into one stack of Pulumi Cloud objects", () => {
    expect(plan.status).toBe(0);
    const types = plan.inventory.resources.map((r) => `${r.type} ${r.name}`).sort();
    expect(types).toEqual(
      [
        "pulumi:pulumi:Stack llmops-deployment-acme",
        `${SETTINGS} settings-dev`,
        `${SETTINGS} settings-pr`,
        `${SETTINGS} settings-prod`,
        "pulumiservice:index:DriftSchedule drift-prod",
        "pulumiservice:index:Environment esc-dev-cloud",
        "pulumiservice:index:Environment esc-prod-cloud",
        "pulumiservice:index:ApprovalRule esc-prod-cloud-approval",
        "pulumiservice:index:OidcIssuer github-actions",
        "pulumiservice:index:PolicyGroup policy-group-dev",
        "pulumiservice:index:PolicyGroup policy-group-prod",
        "pulumiservice:index:PolicyPack policy-pack",
        "pulumiservice:index:Webhook deployment-alerts",
      ].sort(),
    );
  });

  it("configures each platform stack through the vcs block, never the deprecated github block", () => {
    for (const stack of ["dev", "prod", "pr"]) {
      const { inputs } = plan.one(SETTINGS, `settings-${stack}`);
      expect(inputs).toMatchObject({ organization: "acme", project: "llmops", stack });
      expect(inputs.github).toBeUndefined();
      expect(inputs.vcs).toMatchObject({ provider: "github", repository: "acme/llmops-platform" });
      expect(inputs.sourceContext.git).toEqual({ branch: "refs/heads/main", repoDir: "." });
    }
  });

  it("dev previews pull requests and watches only what changes its deployment", () => {
    const { vcs } = plan.one(SETTINGS, "settings-dev").inputs;
    expect(vcs).toMatchObject({
      previewPullRequests: true,
      pullRequestTemplate: false,
      deployCommits: false,
    });
    expect(vcs.paths).toEqual(expect.arrayContaining(["infra/**", "policies/**", "Pulumi.dev.yaml"]));
    expect(vcs.paths).not.toContain("Pulumi.prod.yaml");
  });

  it("prod previews pull requests and never deploys on its own", () => {
    const { vcs } = plan.one(SETTINGS, "settings-prod").inputs;
    expect(vcs).toMatchObject({
      previewPullRequests: true,
      deployCommits: false,
      pullRequestTemplate: false,
    });
    expect(vcs.paths).toContain("Pulumi.prod.yaml");
  });

  it("pr is the review-stack template: destroyed stacks are deleted, a TTL is the backstop", () => {
    const { vcs, operationContext } = plan.one(SETTINGS, "settings-pr").inputs;
    expect(vcs).toMatchObject({
      pullRequestTemplate: true,
      previewPullRequests: false,
      deployCommits: false,
    });
    expect(operationContext.options.deleteAfterDestroy).toBe(true);
    expect(operationContext.environmentVariables.REVIEW_STACK_TTL_HOURS).toBe("72");
    expect(operationContext.preRunCommands).toContain("npx tsx deployment/review-ttl.ts");
  });

  it("runs install and the offline plan of the stack before every operation", () => {
    for (const stack of ["dev", "prod", "pr"]) {
      const { operationContext } = plan.one(SETTINGS, `settings-${stack}`).inputs;
      expect(operationContext.preRunCommands.slice(0, 2)).toEqual([
        "npm ci --no-audit --no-fund",
        `npm run plan -- ${stack} --out out/deployment-plan`,
      ]);
      expect(operationContext.options).toMatchObject({ skipInstallDependencies: true });
    }
  });

  it("assumes the stack's cloud identity through OIDC, per environment, with no static keys", () => {
    expect(stackFile("dev")).toMatch(/llmops:cloud: aws/);
    const dev = plan.one(SETTINGS, "settings-dev").inputs.operationContext;
    const prod = plan.one(SETTINGS, "settings-prod").inputs.operationContext;
    const pr = plan.one(SETTINGS, "settings-pr").inputs.operationContext;
    expect(dev.oidc).toEqual({
      aws: {
        roleARN: "arn:aws:iam::123456789012:role/pulumi-deployments-llmops-dev",
        sessionName: "pulumi-deployments",
        duration: "1h0m0s",
      },
    });
    expect(prod.oidc.aws.roleARN).toBe("arn:aws:iam::210987654321:role/pulumi-deployments-llmops-prod");
    // Review stacks are dev-environment stacks: they never get prod's identity.
    expect(pr.oidc).toEqual(dev.oidc);
    for (const ctx of [dev, prod, pr])
      expect(Object.keys(ctx.environmentVariables)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/ACCESS_KEY|SECRET|CLIENT_SECRET|CREDENTIALS/)]),
      );
  });

  it("publishes the policy pack and applies it: preventative on prod with prod.json, audit on dev and pr with dev.json", () => {
    const pack = plan.one("pulumiservice:index:PolicyPack", "policy-pack").inputs;
    expect(pack).toMatchObject({ organization: "acme", name: "llmops-policies", versionTag: "0.1.0" });
    expect(pack.sourcePath).toBe("policies");
    const prod = plan.one("pulumiservice:index:PolicyGroup", "policy-group-prod");
    expect(prod.inputs).toMatchObject({
      organizationName: "acme",
      mode: "preventative",
      entityType: "stacks",
    });
    expect(prod.inputs.stacks).toEqual([{ name: "prod", routingProject: "llmops" }]);
    expect(prod.inputs.policyPacks).toEqual([
      { name: "llmops-policies", versionTag: "0.1.0", config: policyConfig("prod") },
    ]);
    const dev = plan.one("pulumiservice:index:PolicyGroup", "policy-group-dev");
    expect(dev.inputs.mode).toBe("audit");
    expect(dev.inputs.stacks).toEqual([
      { name: "dev", routingProject: "llmops" },
      { name: "pr", routingProject: "llmops" },
    ]);
    expect(dev.inputs.policyPacks[0].config).toEqual(policyConfig("dev"));
    expect(prod.dependsOn).toContain(plan.one("pulumiservice:index:PolicyPack", "policy-pack").urn);
  });

  it("detects drift on prod only, after prod's settings exist", () => {
    const drift = plan.one("pulumiservice:index:DriftSchedule", "drift-prod");
    expect(drift.inputs).toMatchObject({
      organization: "acme",
      project: "llmops",
      stack: "prod",
      scheduleCron: "0 */6 * * *",
      autoRemediate: false,
    });
    expect(drift.dependsOn).toEqual([plan.one(SETTINGS, "settings-prod").urn]);
  });

  it("alerts on failed deployments and drift through one organization webhook whose URL stays secret", () => {
    const hook = plan.one("pulumiservice:index:Webhook", "deployment-alerts").inputs;
    expect(hook).toMatchObject({
      organizationName: "acme",
      active: true,
      format: "slack",
      payloadUrl: "[secret]",
    });
    expect(hook.filters).toEqual(
      expect.arrayContaining(["deployment_failed", "drift_detected", "drift_detection_failed"]),
    );
    expect(hook.projectName).toBeUndefined();
  });

  it("creates one ESC credentials environment per platform environment", () => {
    for (const env of ["dev", "prod"])
      expect(plan.one("pulumiservice:index:Environment", `esc-${env}-cloud`).inputs).toMatchObject({
        organization: "acme",
        project: "llmops",
        name: `${env}-cloud`,
      });
  });

  it("changes to prod's credentials environment wait for another administrator", () => {
    const rule = plan.one("pulumiservice:index:ApprovalRule", "esc-prod-cloud-approval");
    expect(rule.inputs).toMatchObject({
      enabled: true,
      environmentIdentifier: { organization: "acme", project: "llmops", name: "prod-cloud" },
      targetActionTypes: ["update"],
      approvalRuleConfig: {
        numApprovalsRequired: 1,
        allowSelfApproval: false,
        requireReapprovalOnChange: true,
        eligibleApprovers: [{ teamName: "platform-admins" }],
      },
    });
    expect(rule.dependsOn).toEqual([plan.one("pulumiservice:index:Environment", "esc-prod-cloud").urn]);
  });

  it("trusts GitHub Actions' OIDC tokens: organization tokens for previews and deploy jobs, the admin team's for settings", () => {
    const issuer = plan.one("pulumiservice:index:OidcIssuer", "github-actions").inputs;
    expect(issuer).toMatchObject({
      organization: "acme",
      url: "https://token.actions.githubusercontent.com",
    });
    const grants = issuer.policies.map((p: any) => [p.tokenType, p.teamName ?? null, p.rules.sub]);
    expect(grants).toEqual([
      ["organization", null, "repo:acme/llmops-platform:pull_request"],
      ["organization", null, "repo:acme/llmops-platform:environment:dev"],
      ["organization", null, "repo:acme/llmops-platform:environment:prod"],
      ["team", "platform-admins", "repo:acme/llmops-platform:environment:pulumi-cloud"],
    ]);
    for (const p of issuer.policies) expect(p.decision).toBe("allow");
    expect(issuer.policies[0].authorizedPermissions).toEqual(["standard"]);
  });

  it("writes no secret value, only redactions", () => {
    expect(plan.written).not.toMatch(/plan-secret-[0-9a-f]{12}/);
    expect(plan.written).not.toMatch(/secure:|v1:[A-Za-z0-9+/=]{10,}/);
    expect((plan.inventory.config.notifications as { url: string }).url).toBe("[secret]");
  });
});

describe("deployment program overrides", () => {
  it("devDeployCommits=true lets Pulumi Deployments deploy dev on merge, prod still never", async () => {
    const plan = await planDeployment("devDeployCommits=true");
    expect(plan.one(SETTINGS, "settings-dev").inputs.vcs.deployCommits).toBe(true);
    expect(plan.one(SETTINGS, "settings-prod").inputs.vcs.deployCommits).toBe(false);
  });
});

describe.concurrent("deployment program config errors exit 2 naming every key", () => {
  it.each([
    [
      ["organization=bad org", "driftCron=hourly"],
      /organization: a Pulumi organization name; driftCron: a five-field cron/,
    ],
    [['notifications={"url":"https://hooks.example.com/x"}'], /notifications: holds a secret/],
    [['oidc={"dev":{},"prod":{}}'], /oidc\.dev\.aws: required \(Pulumi\.dev\.yaml deploys to aws\)/],
    [["bogus=1"], /unknown config key 'bogus'/],
  ])("-c %j", async (overrides, message) => {
    const run = await runPlanCliAsync([
      "--program",
      "deployment",
      "acme",
      ...overrides.flatMap((o) => ["-c", o]),
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
