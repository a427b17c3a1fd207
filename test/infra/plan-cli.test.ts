/**
 * `npm run plan` as the review gate and users call it: usage errors exit 2 with one line,
 * a plan writes its four outputs, secrets never reach them, and the exit code follows the gate.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Plan, planStack, runPlanCliAsync } from "../helpers/plan.ts";

describe.concurrent("plan usage errors exit 2 with a one-line reason", () => {
  it.each([
    [
      ["nosuchstack"],
      /^plan: unknown stack 'nosuchstack': no Pulumi\.nosuchstack\.yaml \(available: dev, pr, prod\)$/,
    ],
    [[], /^plan: expected exactly one stack name$/m],
    [["dev", "prod"], /^plan: expected exactly one stack name$/m],
    [["dev", "-c", "replicas=3"], /^plan: unknown config key 'replicas' \(known: cloud, environment, /],
    [["dev", "-c", "cloud"], /^plan: -c expects key=value, got 'cloud'$/],
    [
      ["dev", "-c", "cloud=oracle"],
      /^plan: invalid config for stack 'dev': cloud: expected one of aws \| gcp \| azure$/,
    ],
    [
      ["dev", "-c", "imageTag=latest", "-c", "domain=Bad Domain"],
      /^plan: invalid config for stack 'dev': domain: a lowercase DNS name .*; imageTag: a pinned tag or digest, never 'latest'$/,
    ],
    [["dev", "--bogus"], /^plan: Unknown option '--bogus'/],
    [["--program", "nowhere", "dev"], /^plan: no Pulumi\.yaml in \/.*\/nowhere$/],
  ])("plan %j", async (args, message) => {
    const run = await runPlanCliAsync(args);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("plan of the dev stack", () => {
  let plan: Plan;
  beforeAll(() => {
    plan = planStack("dev");
  });

  it("writes the four outputs", () => {
    for (const f of ["resources.json", "report.md", "report.sarif"])
      expect(existsSync(join(plan.outDir, f))).toBe(true);
    expect(readdirSync(join(plan.outDir, "manifests")).length).toBeGreaterThan(0);
  });

  it("records every resource with type, name, parent, provider, dependsOn and inputs", () => {
    const { inventory } = plan;
    expect(inventory.project).toBe("llmops");
    expect(inventory.stack).toBe("dev");
    expect(inventory.config.cloud).toBe("aws");
    const urns = new Set(inventory.resources.map((r) => r.urn));
    for (const r of inventory.resources) {
      expect(r.urn).toMatch(/^urn:pulumi:dev::llmops::/);
      expect(Array.isArray(r.dependsOn)).toBe(true);
      if (r.parent) expect(urns.has(r.parent) || r.parent.endsWith("::llmops-dev")).toBe(true);
      for (const d of r.dependsOn) expect(urns.has(d)).toBe(true);
    }
    const layers = inventory.resources
      .filter((r) => /^llmops:(cloud|platform|apps):/.test(r.type))
      .map((r) => r.type);
    expect(layers.some((t) => t.startsWith("llmops:cloud:"))).toBe(true);
    expect(layers).toContain("llmops:platform:Platform");
    expect(layers).toContain("llmops:apps:Apps");
    const k8sProvider = inventory.resources.find((r) => r.type === "pulumi:providers:kubernetes");
    expect(k8sProvider).toBeDefined();
    const platformChildren = inventory.resources.filter((r) => r.type.startsWith("kubernetes:"));
    for (const r of platformChildren) expect(r.provider).toBe(k8sProvider!.urn);
  });

  it("never writes secret values, only redactions", () => {
    const everything = [
      readFileSync(join(plan.outDir, "resources.json"), "utf8"),
      plan.report,
      JSON.stringify(plan.sarif),
      JSON.stringify(plan.manifests),
    ].join("\n");
    expect(everything).not.toMatch(/plan-secret-[0-9a-f]{12}/);
    expect(everything).not.toMatch(/plan-password-[0-9a-f]+/);
    expect(JSON.stringify(plan.inventory.config.llmProviders)).toContain("[secret]");
  });

  it("validates every Kubernetes manifest against a schema", () => {
    expect(plan.report).toMatch(
      /## Kubernetes manifests\n\n\d+ objects; \d+ valid against their schema, 0 invalid/,
    );
  });

  it("reports counts by layer, policy results and the dependency graph", () => {
    expect(plan.report).toContain("## Resources by layer");
    expect(plan.report).toContain("## Policy pack");
    expect(plan.report).toContain("```mermaid");
    // Mermaid refuses graphs over 500 edges by default; the grouped graph stays readable.
    const edges = plan.report.match(/-\.->\|dependsOn\|/g) ?? [];
    expect(edges.length).toBeGreaterThan(0);
    expect(edges.length).toBeLessThan(500);
    expect(plan.sarif.version).toBe("2.1.0");
  });

  it("passes its mandatory policy set (exit 0)", () => {
    expect(plan.stderr).toMatch(/plan: wrote .* 0 mandatory/);
    expect(plan.status).toBe(0);
  });
});

describe("image digests from the image pipeline", () => {
  it("a digest for no such service fails the plan, naming the services there are", async () => {
    const digest = `sha256:${"cd".repeat(32)}`;
    const run = await runPlanCliAsync(["dev", "-c", `imageDigests={"nosuch":"${digest}"}`]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("imageDigests: no such service nosuch (services: router, trace-proxy");
  });
});

describe("the review-stack template", () => {
  it("Pulumi.pr.yaml plans like dev: a dev-environment stack that passes its mandatory set", () => {
    const plan = planStack("pr");
    expect(plan.inventory.stack).toBe("pr");
    expect(plan.inventory.config).toMatchObject({ environment: "dev", domain: "review.dev.llm.example.com" });
    expect(plan.report).toMatch(
      /## Kubernetes manifests\n\n\d+ objects; \d+ valid against their schema, 0 invalid/,
    );
    expect(plan.status).toBe(0);
  });
});

describe("the same program plans on every cloud", () => {
  it.each(["gcp", "azure"])("prod -c cloud=%s writes the four outputs and exits 0", (cloud) => {
    const plan = planStack("prod", { cloud });
    expect(plan.inventory.config.cloud).toBe(cloud);
    expect(
      plan.inventory.resources.some((r) => r.type.startsWith(cloud === "gcp" ? "gcp:" : "azure-native:")),
    ).toBe(true);
    expect(plan.status).toBe(0);
  });
});
