/**
 * The policy pack published to the organization and the groups that apply it server-side: prod in
 * a preventative group with prod.json (a mandatory violation blocks the update), dev and the review
 * template in an audit group with dev.json (violations are recorded, nothing is blocked by the
 * group; the offline plan in preRunCommands still fails on dev's mandatory set).
 */
import * as service from "@pulumi/pulumiservice";
import type { Environment, PolicyPackFacts, TargetStack } from "./targets.ts";

const MODE: Record<Environment, "preventative" | "audit"> = { prod: "preventative", dev: "audit" };

export function policyGovernance(
  organization: string,
  project: string,
  pack: PolicyPackFacts,
  targets: TargetStack[],
): { pack: service.PolicyPack; groups: service.PolicyGroup[] } {
  const published = new service.PolicyPack("policy-pack", {
    organization,
    name: pack.name,
    // Versions are immutable in Pulumi Cloud: bump policies/PulumiPolicy.yaml to publish changes.
    versionTag: pack.version,
    sourcePath: pack.sourcePath,
    displayName: "LLMOps production checklists",
  });
  const groups = (["prod", "dev"] as const).map(
    (env) =>
      new service.PolicyGroup(
        `policy-group-${env}`,
        {
          organizationName: organization,
          name: `${project}-${env}`,
          entityType: "stacks",
          mode: MODE[env],
          stacks: targets
            .filter((t) => t.environment === env)
            .map((t) => ({ name: t.stack, routingProject: project })),
          policyPacks: [
            {
              name: published.name,
              versionTag: published.versionTag,
              config: pack.config[env],
            },
          ],
        },
        { dependsOn: [published] },
      ),
  );
  return { pack: published, groups };
}
