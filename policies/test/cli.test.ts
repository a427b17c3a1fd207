import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { rules } from "../rules/index.ts";
import { compliantInventory, find, T } from "./fixtures.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "policies/cli.ts", ...args],
      { cwd: root },
      (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function write(name: string, data: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof data === "string" ? data : JSON.stringify(data));
  return p;
}

const good = write("good.json", compliantInventory());
const badInv = compliantInventory();
find(badInv, T.deploy, "router").inputs.spec.template.spec.containers[0].securityContext.privileged = true;
find(badInv, T.deploy, "router").inputs.spec.replicas = 1;
const bad = write("bad.json", badInv);

describe("npm run policy -- check", () => {
  it("exits 0 on a compliant inventory, env from config.environment", async () => {
    const r = await cli("check", good);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`policy check \\(prod\\): ${rules.length} rules, 0 mandatory`));
  });

  it("exits 1 on a mandatory violation and prints rule, severity, resource, message, remediation", async () => {
    const r = await cli("check", bad, "--env", "prod");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("[MANDATORY] k8s-host-isolation (critical)");
    expect(r.stdout).toContain("urn:pulumi:prod::llmops::kubernetes:apps/v1:Deployment::router");
    expect(r.stdout).toContain("type=kubernetes:apps/v1:Deployment  name=router");
    expect(r.stdout).toContain('container "router" is privileged.');
    expect(r.stdout).toMatch(/remediation: Remove privileged: true/);
    expect(r.stdout).toContain("[MANDATORY] k8s-min-replicas (high)");
  });

  it("in dev only the security baseline is mandatory", async () => {
    const inv = compliantInventory();
    find(inv, T.deploy, "router").inputs.spec.replicas = 1;
    const r = await cli("check", write("dev.json", { ...inv, config: { environment: "dev" } }));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[advisory] k8s-min-replicas (high)");
    expect(r.stdout).toContain("policy check (dev)");
  });

  it("--config merges a pack-config file over the environment's", async () => {
    const relaxed = write("relaxed.json", {
      "k8s-host-isolation": "advisory",
      "k8s-min-replicas": { minReplicas: 1 },
    });
    const r = await cli("check", bad, "--config", relaxed);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[advisory] k8s-host-isolation (critical)");
    expect(r.stdout).not.toContain("k8s-min-replicas");
  });

  it("writes SARIF 2.1.0 with one result per violation and rules with help text", async () => {
    const out = join(dir, "report.sarif");
    const r = await cli("check", bad, "--sarif", out);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, "utf8"));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: any) => x.id)).toEqual(rules.map((x) => x.id));
    for (const rule of run.tool.driver.rules) {
      expect(rule.help.text.length).toBeGreaterThan(20);
      expect(rule.shortDescription.text.length).toBeGreaterThan(10);
    }
    expect(run.results.map((x: any) => x.ruleId).sort()).toEqual(["k8s-host-isolation", "k8s-min-replicas"]);
    for (const res of run.results) {
      expect(res.level).toBe("error");
      expect(run.tool.driver.rules[res.ruleIndex].id).toBe(res.ruleId);
      expect(res.locations[0].logicalLocations[0].fullyQualifiedName).toMatch(/^urn:pulumi:/);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe("Pulumi.prod.yaml");
      expect(Object.values(res.partialFingerprints)[0]).toContain(res.ruleId);
      expect(res.message.text).toContain("Remediation:");
    }
  });

  it("gatekeeper prints the ConstraintTemplates and Constraints as YAML", async () => {
    const r = await cli("gatekeeper", "--env", "dev", "--namespace", "llmops");
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.filter((d) => d.kind === "ConstraintTemplate").length).toBeGreaterThanOrEqual(12);
    const probes = docs.find((d) => d.metadata.name === "k8s-probes");
    expect(probes.kind).toBe("LlmopsProbes");
    expect(probes.spec.enforcementAction).toBe("warn");
    expect(probes.spec.match.namespaces).toEqual(["llmops"]);
    expect((await cli("gatekeeper")).code).toBe(2);
  });

  it.each([
    ["no command", []],
    ["unknown command", ["lint", "x.json"]],
    ["missing file argument", ["check"]],
    ["bad --env", ["check", "GOOD", "--env", "staging"]],
    ["unknown option", ["check", "GOOD", "--frobnicate"]],
    ["unreadable file", ["check", "/nonexistent/resources.json"]],
    ["invalid JSON", ["check", "INVALID"]],
    ["not an inventory", ["check", "NOTINV"]],
    ["no env anywhere", ["check", "NOENV"]],
    ["unknown policy in --config", ["check", "GOOD", "--config", "BADCFG"]],
    ["bad enforcement level in --config", ["check", "GOOD", "--config", "BADLEVEL"]],
  ])("exits 2 with a one-line error: %s", async (_n, args) => {
    const map: Record<string, string> = {
      GOOD: good,
      INVALID: write("invalid.json", "{ nope"),
      NOTINV: write("notinv.json", { hello: 1 }),
      NOENV: write("noenv.json", { ...compliantInventory(), config: {} }),
      BADCFG: write("badcfg.json", { "no-such-rule": "advisory" }),
      BADLEVEL: write("badlevel.json", { "k8s-probes": { enforcementLevel: "sometimes" } }),
    };
    const r = await cli(...(args as string[]).map((a) => map[a] ?? a));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^policy: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
