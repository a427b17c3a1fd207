/**
 * The GitHub workflows as a specification: each file is valid against GitHub's workflow schema
 * (GitHub's own parser, @actions/workflow-parser), every action is pinned by commit SHA, every job
 * asks for the least it needs, and the delivery steps are there: tests, the offline plan matrix,
 * SARIF upload, one PR comment, the policy-pack preview, dev on main, prod behind reviewers.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { describe, expect, it } from "vitest";
import semver from "semver";
import { parse } from "yaml";
import { ROOT } from "./helpers/plan.ts";

const DIR = join(ROOT, ".github/workflows");
const FILES = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (file: string) => readFileSync(join(DIR, file), "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  id?: string;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix: Record<string, unknown[]> };
  "timeout-minutes"?: number;
  steps: Step[];
}
interface Workflow {
  on: Record<string, any>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = (file: string) => parse(text(file)) as Workflow;
const steps = (file: string, job: string) => workflow(file).jobs[job]!.steps;
const action = (s: Step) => s.uses?.split("@")[0];
const using = (file: string, job: string, name: string) => steps(file, job).filter((s) => action(s) === name);

/** Errors GitHub would report for a workflow file: schema (parse) and semantics (conversion). */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return [...new Set(errors)];
}

describe("workflow files", () => {
  it("are the pull-request, main and deployment-settings workflows", () => {
    expect(FILES).toEqual(["deployment-settings.yml", "main.yml", "pull-request.yml"]);
  });

  it.each(FILES)("%s is valid against GitHub's workflow schema", async (file) => {
    expect(await workflowErrors(file, text(file))).toEqual([]);
  });

  it("the validator rejects what GitHub would (a misspelt key, a job cycle, an unclosed expression)", async () => {
    const broken = [
      "on: push",
      "permissons: {}",
      "jobs:",
      "  a: { runs-on: ubuntu-24.04, needs: b, steps: [{ run: echo }] }",
      "  b: { runs-on: ubuntu-24.04, needs: a, steps: [{ run: 'echo ${{ github.sha }' }] }",
    ].join("\n");
    const errors = await workflowErrors("broken.yml", broken);
    expect(errors.join("\n")).toMatch(/Unexpected value 'permissons'/);
    expect(errors.join("\n")).toMatch(/expression is not closed/);
  });

  it.each(FILES)("%s pins every action to a full commit SHA, with its release as a comment", (file) => {
    const uses = [...text(file).matchAll(/uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, ref, comment] of uses) {
      expect(ref).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it("pins each action to one SHA across all workflows", () => {
    const pins = new Map<string, Set<string>>();
    for (const file of FILES)
      for (const [, name, sha] of text(file).matchAll(/uses:\s*([\w./-]+)@([0-9a-f]{40})/g))
        pins.set(name!, (pins.get(name!) ?? new Set()).add(sha!));
    for (const [name, shas] of pins) expect([name, shas.size]).toEqual([name, 1]);
  });

  it.each(FILES)("%s grants nothing by default; every job names its permissions and a timeout", (file) => {
    const w = workflow(file);
    expect(w.permissions).toEqual({});
    for (const [name, job] of Object.entries(w.jobs)) {
      expect(job.permissions, name).toBeDefined();
      expect(Object.values(job.permissions!)).not.toContain("write-all");
      expect(job["timeout-minutes"], name).toBeLessThanOrEqual(90);
    }
  });

  it("only jobs that exchange OIDC tokens may request them, and writes are scoped to their one use", () => {
    for (const file of FILES) {
      for (const [name, job] of Object.entries(workflow(file).jobs)) {
        const p = job.permissions ?? {};
        const uses = job.steps.map(action);
        const oidc = uses.includes("pulumi/auth-actions");
        expect([file, name, p["id-token"] === "write"]).toEqual([file, name, oidc]);
        expect([name, p["security-events"] === "write"]).toEqual([
          name,
          uses.includes("github/codeql-action/upload-sarif"),
        ]);
        expect([name, p["pull-requests"] === "write"]).toEqual([
          name,
          uses.includes("actions/github-script"),
        ]);
        expect([name, p.packages === "write"]).toEqual([name, uses.includes("docker/login-action")]);
      }
    }
  });

  it.each(FILES)("%s passes expressions to shell steps through env only, and every script parses", (file) => {
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        // An expression expanded inside a script is a script-injection path (branch names, titles).
        expect(step.run).not.toContain("${{");
        const check = spawnSync("bash", ["-n"], { input: step.run, encoding: "utf8" });
        expect(check.status, `${step.run}\n${check.stderr}`).toBe(0);
      }
      for (const step of job.steps.filter((s) => action(s) === "actions/github-script")) {
        const body = String(step.with!.script);
        // github-script runs the body inside an async function: parse it the same way.
        expect(
          () => new Function("require", "github", "context", `return (async () => {${body}})();`),
        ).not.toThrow();
      }
    }
  });

  it.each(FILES)("%s installs the Pulumi CLI release that matches the SDK", (file) => {
    const sdk = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
    expect(workflow(file).env?.PULUMI_VERSION).toBe(sdk);
  });
});

describe("Node.js in CI", () => {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const setups = (file: string) =>
    Object.entries(workflow(file).jobs).flatMap(([job, j]) =>
      j.steps.filter((s) => action(s) === "actions/setup-node").map((s) => ({ job, with: s.with ?? {} })),
    );

  it.each(["pull-request.yml", "main.yml"])(
    "%s runs the suite once per supported LTS line (22 and 24), each inside package.json engines",
    (file) => {
      const test = workflow(file).jobs.test!;
      expect(test.strategy!.matrix).toEqual({ node: ["22", "24"] });
      expect((test.strategy as any)["fail-fast"]).toBe(false);
      for (const line of test.strategy!.matrix.node as string[])
        expect([line, semver.intersects(`${line}.x`, root.engines.node)]).toEqual([line, true]);
      expect(setups(file).find((s) => s.job === "test")!.with).toMatchObject({
        "node-version": "${{ matrix.node }}",
      });
    },
  );

  it.each(FILES)(
    "%s: every other job runs on the pinned release (.node-version), with npm's cache",
    (file) => {
      for (const s of setups(file)) {
        expect(s.with.cache).toBe("npm");
        if (s.job !== "test")
          expect([s.job, s.with]).toEqual([s.job, { "node-version-file": ".node-version", cache: "npm" }]);
      }
    },
  );
});

describe("pull-request workflow", () => {
  const file = "pull-request.yml";
  const w = workflow(file);

  it("runs on pull requests to main, one run per pull request (a new push cancels the old)", () => {
    expect(w.on).toEqual({ pull_request: { branches: ["main"] } });
    expect((w as any).concurrency).toEqual({
      group: "pull-request-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });

  it("runs the whole suite", () => {
    expect(
      steps(file, "test")
        .map((s) => s.run)
        .filter(Boolean),
    ).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
  });

  it("plans dev and prod on each cloud offline and gates on the plan's exit code", () => {
    expect(w.jobs.plan!.strategy!.matrix).toEqual({ stack: ["dev", "prod"], cloud: ["aws", "gcp", "azure"] });
    const plan = steps(file, "plan").find((s) => s.id === "plan")!;
    expect(plan.run).toContain('npm run plan -- "$STACK" -c "cloud=$CLOUD" --out "out/$STACK-$CLOUD"');
    const gate = steps(file, "plan").at(-1)!;
    expect(gate.if).toBe("steps.plan.outputs.exit-code != '0'");
    expect(gate.run).toMatch(/exit 1$/m);
  });

  it("uploads each plan's report.sarif to code scanning under its own category", () => {
    const [upload] = using(file, "plan", "github/codeql-action/upload-sarif");
    expect(upload!.with).toEqual({
      sarif_file: "out/${{ matrix.stack }}-${{ matrix.cloud }}/report.sarif",
      category: "plan-${{ matrix.stack }}-${{ matrix.cloud }}",
    });
    expect(text(file)).toMatch(/upload-sarif@[0-9a-f]{40} # v4\.\d+\.\d+/);
  });

  it("posts all six report.md files as one comment, updated in place on every push", () => {
    const job = w.jobs.comment!;
    expect(job.needs).toBe("plan");
    expect(job.if).toContain("!cancelled()");
    const [download] = using(file, "comment", "actions/download-artifact");
    expect(download!.with).toMatchObject({ pattern: "plan-*" });
    const [script] = using(file, "comment", "actions/github-script");
    const code = String(script!.with!.script);
    expect(code).toContain('const marker = "<!-- llmops-offline-plan -->"');
    expect(code).toMatch(/if \(mine\) await github\.rest\.issues\.updateComment/);
    expect(code).toMatch(/else await github\.rest\.issues\.createComment/);
  });

  it("previews the real dev and prod stacks with the policy pack and the environment's config, over OIDC", () => {
    const job = w.jobs.preview!;
    expect(job.if).toContain("vars.PULUMI_ORGANIZATION != ''");
    expect(job.strategy!.matrix).toEqual({ stack: ["dev", "prod"] });
    expect(job.concurrency!.group).toContain("${{ matrix.stack }}");
    const order = job.steps.map(action).filter(Boolean);
    expect(order.indexOf("pulumi/auth-actions")).toBeLessThan(order.indexOf("pulumi/actions"));
    const [auth] = using(file, "preview", "pulumi/auth-actions");
    expect(auth!.with).toMatchObject({
      "requested-token-type": "urn:pulumi:token-type:access_token:organization",
    });
    const [preview] = using(file, "preview", "pulumi/actions");
    expect(preview!.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}",
      policyPacks: "policies",
      policyPackConfigs: "policies/config/${{ matrix.stack }}.json",
    });
  });
});

describe("main workflow", () => {
  const file = "main.yml";
  const w = workflow(file);

  it("runs on every push to main (and by hand)", () => {
    expect(w.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
  });

  it("builds and pushes the images through build-images.sh, tagged with the commit, never naming a service", () => {
    const build = steps(file, "images").find((s) => s.id === "build")!;
    expect(build.run).toContain("services/build-images.sh --push dev");
    expect(build.env).toEqual({ IMAGE_TAG: "${{ github.sha }}" });
    expect(using(file, "images", "docker/setup-buildx-action")).toHaveLength(1);
    for (const service of ["router", "trace-proxy", "cost-api", "sentinel"])
      expect(text(file)).not.toContain(service);
    expect(w.jobs.images!.needs).toBe("test");
  });

  it("deploys dev with the pushed digests, then prod behind its protected environment", () => {
    const dev = w.jobs["deploy-dev"]!;
    const prod = w.jobs["deploy-prod"]!;
    expect(dev.needs).toBe("images");
    expect(prod.needs).toEqual(["images", "deploy-dev"]);
    expect(dev.environment).toMatchObject({ name: "dev" });
    expect(prod.environment).toMatchObject({ name: "prod" });
    for (const [job, stack] of [
      ["deploy-dev", "dev"],
      ["deploy-prod", "prod"],
    ] as const) {
      expect(w.jobs[job]!.concurrency).toEqual({ group: `pulumi-${stack}`, "cancel-in-progress": false });
      const pin = steps(file, job).find((s) => s.run?.includes("imageDigests"))!;
      expect(pin.run).toContain('pulumi config set --stack "$STACK" --path "imageDigests.$service"');
      expect(pin.env!.DIGESTS).toBe("${{ needs.images.outputs.digests }}");
      const [up] = using(file, job, "pulumi/actions");
      expect(up!.with).toMatchObject({
        command: "up",
        "stack-name": `\${{ vars.PULUMI_ORGANIZATION }}/${stack}`,
        policyPacks: "policies",
        policyPackConfigs: `policies/config/${stack}.json`,
      });
    }
  });

  it("gates prod on its offline plan before any credentials are requested", () => {
    const order = steps(file, "deploy-prod").map((s) => s.run ?? action(s));
    expect(order.indexOf("npm run plan -- prod")).toBeGreaterThan(-1);
    expect(order.indexOf("npm run plan -- prod")).toBeLessThan(order.indexOf("pulumi/auth-actions"));
  });
});

describe("deployment-settings workflow", () => {
  const file = "deployment-settings.yml";
  const w = workflow(file);

  it("applies deployment/ on main when it, the pack or a stack file changes, plan first, behind reviewers", () => {
    expect(w.on.push.paths).toEqual(["deployment/**", "policies/**", "Pulumi.yaml", "Pulumi.*.yaml"]);
    const job = w.jobs.settings!;
    expect(job.environment).toMatchObject({ name: "pulumi-cloud" });
    const runs = job.steps.map((s) => s.run ?? action(s));
    expect(runs.indexOf('npm run plan -- --program deployment "$ORG"')).toBeLessThan(
      runs.indexOf("pulumi/actions"),
    );
    expect(using(file, "settings", "pulumi/actions")[0]!.with).toMatchObject({
      command: "up",
      "work-dir": "deployment",
    });
  });
});
