import { describe, expect, it } from "vitest";
import { policies, ruleFiles, rules } from "../rules/index.ts";
import { checklistText } from "../rules/types.ts";
import { cases, fixtureFiles } from "./cases.ts";
import { runCase } from "./harness.ts";

describe("rule metadata", () => {
  it("collects one rule per file, named by its id, each registered once as a policy", () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(policies.map((p) => p.name)).toEqual(ids);
    for (const { file, rule } of ruleFiles) expect(file).toBe(rule.id);
    expect(rules.length).toBeGreaterThanOrEqual(30);
  });
  it("keeps each rule's fixtures beside it (rules/<id>.fixtures.ts) and no fixtures without a rule", () => {
    expect(fixtureFiles).toEqual(rules.map((r) => `${r.id}.fixtures.ts`).sort());
  });
  it.each(rules.map((r) => [r.id, r] as const))(
    "%s carries description, severity, checklist, remediation, category",
    (_id, r) => {
      expect(r.description.length).toBeGreaterThan(20);
      expect(["low", "medium", "high", "critical"]).toContain(r.severity);
      expect(["security", "reliability"]).toContain(r.category);
      expect(r.remediation.length).toBeGreaterThan(20);
      expect(checklistText(r)).toMatch(/^\d{3}_[0-9a-f]{16} /);
      expect(r.policy.remediationSteps).toBe(r.remediation);
      expect(r.policy.severity).toBe(r.severity);
      for (const k of Object.keys(r.defaults)) expect(r.policy.configSchema?.properties[k]).toBeDefined();
    },
  );
  it("every rule has at least one passing and one failing fixture", () => {
    for (const r of rules) {
      expect(
        cases.some((c) => c.rule === r.id && !c.fails),
        `${r.id} pass`,
      ).toBe(true);
      expect(
        cases.some((c) => c.rule === r.id && c.fails),
        `${r.id} fail`,
      ).toBe(true);
    }
  });
});

describe("rules on fixtures (through the registered policy objects)", () => {
  it.each(cases.map((c) => [c.rule, c.name, c] as const))("%s: %s", async (_r, _n, c) => {
    const vs = await runCase(c);
    if (c.fails) {
      expect(vs.length).toBeGreaterThan(0);
      for (const v of vs) {
        expect(v.message.length).toBeGreaterThan(5);
        expect(v.urn).toBeDefined();
      }
    } else expect(vs).toEqual([]);
  });
});
