/** The offline engine builds the same arguments the analyzer host does. */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { checkInventoryWith, type Inventory } from "../offline/index.ts";
import { resourceRule, stackRule } from "../rules/types.ts";
import { deployment, eks, res, T } from "./fixtures.ts";

const meta = {
  severity: "low" as const,
  category: "security" as const,
  checklist: [{ seed: "core" as const, item: "test" }],
  remediation: "none needed, this is a probe rule",
};

describe("offline engine arguments", () => {
  it("isType/asType by Pulumi type token, getConfig with defaults + config, notApplicable", async () => {
    const seen: string[] = [];
    const probe = resourceRule({
      ...meta,
      id: "probe",
      description: "records what the engine passes",
      types: () => true,
      options: { limit: 1, name: "default" },
      configSchema: { limit: { type: "integer" }, name: { type: "string" } },
      check(_props, o, args) {
        if (args.isType(aws.eks.Cluster)) {
          seen.push(`eks ${args.asType(aws.eks.Cluster)?.version} ${args.provider?.type}`);
          return [];
        }
        if (!args.isType(k8s.apps.v1.Deployment)) args.notApplicable("not a deployment");
        const d = args.asType(k8s.apps.v1.Deployment);
        seen.push(`deploy ${(d?.spec as any)?.replicas} ${o.limit} ${o.name} ${args.opts.parent ?? "-"}`);
        return (d?.spec as any)?.replicas > o.limit ? ["too many"] : [];
      },
    });
    const prov = res("pulumi:providers:aws", "aws", { region: "eu-west-1" });
    const inv: Inventory = {
      project: "p",
      stack: "s",
      config: {},
      resources: [
        res(T.deploy, "router", deployment(), { parent: "urn:pulumi:s::p::llmops:apps:Service::router" }),
        res(T.eks, "c", eks(), { provider: `${prov.urn}::abc` }),
        res(T.svc, "svc", {}),
      ],
    };
    const r = await checkInventoryWith([probe], inv, { env: "prod", config: { probe: { limit: 2 } } });
    expect(seen).toEqual([
      "deploy 3 2 default urn:pulumi:s::p::llmops:apps:Service::router",
      "eks 1.33 undefined",
    ]);
    expect(r.violations.map((v) => [v.policy, v.name, v.message, v.enforcementLevel])).toEqual([
      ["probe", "router", "too many", "mandatory"],
    ]);
    // with the provider resource in the inventory, args.provider carries its props
    seen.length = 0;
    await checkInventoryWith([probe], { ...inv, resources: [...inv.resources, prov] }, { env: "prod" });
    expect(seen).toContain("eks 1.33 pulumi:providers:aws");
  });

  it("stack args link parents and dependencies and report against a urn", async () => {
    let captured: PolicyResource[] = [];
    const probe = stackRule({
      ...meta,
      id: "stack-probe",
      description: "records the stack resources",
      check(args) {
        captured = args.resources;
        return [{ urn: args.resources[1]!.urn, message: "child flagged" }];
      },
    });
    const parent = res(T.ns, "llmops", { metadata: { name: "llmops" } });
    const child = res(T.deploy, "router", deployment(), {
      parent: parent.urn,
      dependsOn: [parent.urn, "urn:missing"],
    });
    const r = await checkInventoryWith(
      [probe],
      { project: "p", stack: "s", config: {}, resources: [parent, child] },
      {
        env: "dev",
        config: { "stack-probe": "advisory" },
      },
    );
    expect(captured[1]!.parent?.urn).toBe(parent.urn);
    expect(captured[1]!.dependencies.map((d) => d.urn)).toEqual([parent.urn]);
    expect(captured[1]!.isType(k8s.apps.v1.Deployment)).toBe(true);
    expect(r.violations).toEqual([
      expect.objectContaining({
        policy: "stack-probe",
        urn: child.urn,
        type: T.deploy,
        name: "router",
        enforcementLevel: "advisory",
      }),
    ]);
  });
});
