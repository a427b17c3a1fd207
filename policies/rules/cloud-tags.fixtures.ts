import { type RuleFixtures, mut, withProvider } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "tagged route53 zone", resources: [res(T.zone, "z", F.zone())] },
    {
      name: "azure zone tagged",
      resources: [
        res("azure-native:network:Zone", "z", {
          zoneName: "x",
          resourceGroupName: "rg",
          tags: { ...F.TAGS },
        }),
      ],
    },
    { name: "eks tags via provider defaultTags", ...withProvider() },
    {
      name: "untaggable resource",
      resources: [
        res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: "arn" }),
      ],
    },
  ],
  bad: [
    {
      name: "untagged route53 zone",
      resources: [
        res(
          T.zone,
          "z",
          mut(F.zone(), (z) => delete z.tags),
        ),
      ],
    },
    {
      name: "gcp dns zone without environment",
      resources: [
        res("gcp:dns/managedZone:ManagedZone", "z", {
          dnsName: "x.",
          labels: { project: "llmops", stack: "prod" },
        }),
      ],
    },
    {
      name: "security group given no tags at all",
      resources: [res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "vpc-1", description: "nodes" })],
    },
    {
      name: "azure dns zone (dns module) without tags",
      resources: [
        res("azure-native:dns:Zone", "z", { zoneName: "llm.example.com", resourceGroupName: "rg" }),
      ],
    },
  ],
};
