/**
 * The cloud-neutral pieces every implementation builds on: address plan arithmetic, size classes,
 * label folding, the secret catalogue and the exec-plugin kubeconfig.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { assertDisjoint, cidrSubnet, cidrsOverlap } from "../../infra/cloud/cidr.ts";
import { execKubeconfig } from "../../infra/cloud/kubeconfig.ts";
import { gcpLabels, tagList } from "../../infra/cloud/naming.ts";
import { environmentProfile } from "../../infra/cloud/profile.ts";
import { secretCatalogue } from "../../infra/cloud/secrets.ts";
import { cloudSqlTierProblem, MACHINE_TYPES } from "../../infra/cloud/sizes.ts";
import type { StackConfig } from "../../infra/config.ts";

function config(overrides: Partial<StackConfig> = {}): StackConfig {
  return {
    project: "llmops",
    stack: "dev",
    environment: "dev",
    llmProviders: [
      { name: "openai", baseUrl: "https://api.openai.com/v1", models: [], apiKey: pulumi.secret("k") },
    ],
    alerting: {},
    clientApiKeys: [],
    adminApiKeys: [],
    postgres: { version: "16" },
    ...overrides,
  } as StackConfig;
}

describe("cidrSubnet carves the configured block like Terraform's cidrsubnet", () => {
  it.each([
    ["10.40.0.0/16", 3, 0, "10.40.0.0/19"],
    ["10.40.0.0/16", 3, 2, "10.40.64.0/19"],
    ["10.40.0.0/16", 8, 224, "10.40.224.0/24"],
    ["10.40.0.0/16", 1, 1, "10.40.128.0/17"],
    ["10.40.0.0/16", 12, 512, "10.40.32.0/28"],
    ["10.40.7.9/16", 4, 1, "10.40.16.0/20"],
  ])("%s + %i bits, #%i = %s", (base, bits, n, expected) => {
    expect(cidrSubnet(base, bits, n)).toBe(expected);
  });

  it("refuses subnets that do not exist", () => {
    expect(() => cidrSubnet("10.40.0.0/16", 2, 4)).toThrow(/no subnet #4/);
    expect(() => cidrSubnet("10.40.0.0/30", 4, 0)).toThrow(/exceeds \/32/);
  });
});

describe("CIDR overlaps are found before the provider finds them", () => {
  it.each([
    ["10.40.0.0/16", "10.40.128.0/17", true],
    ["10.40.0.0/16", "10.41.0.0/16", false],
    ["192.168.0.0/16", "192.168.7.0/24", true],
    ["172.16.0.0/16", "172.17.0.0/16", false],
  ])("%s and %s overlap: %s", (a, b, expected) => {
    expect(cidrsOverlap(a, b)).toBe(expected);
    expect(cidrsOverlap(b, a)).toBe(expected);
  });

  it("names both ranges of an overlap", () => {
    expect(() =>
      assertDisjoint({ vpcCidr: "192.168.0.0/16", "the AKS overlay pod range": "192.168.0.0/16" }),
    ).toThrow(
      "vpcCidr 192.168.0.0/16 overlaps the AKS overlay pod range 192.168.0.0/16: choose another vpcCidr",
    );
    expect(() => assertDisjoint({ a: "10.0.0.0/16", b: "10.1.0.0/16", c: "10.2.0.0/16" })).not.toThrow();
  });
});

describe("size classes", () => {
  it("map every class to a machine type on every cloud", () => {
    for (const cloud of ["aws", "gcp", "azure"] as const) {
      expect(Object.keys(MACHINE_TYPES[cloud]).sort()).toEqual(["large", "medium", "small", "xlarge"]);
    }
  });
});

describe("Cloud SQL tier rules", () => {
  it.each([
    "db-f1-micro",
    "db-custom-1-3840",
    "db-custom-2-13312",
    "db-custom-4-16384",
    "db-custom-96-638976",
  ])("accepts %s", (tier) => expect(cloudSqlTierProblem(tier)).toBeUndefined());
  it.each([
    ["db-custom-2-16384", /2 vCPU take 2048-13312 MB/],
    ["db-custom-3-7680", /1 or an even number/],
    ["db-custom-2-4000", /multiple of 256 MB/],
    ["db-custom-1-2048", /at least 3840 MB/],
    ["db-n1-standard-2", /only shared-core or db-custom/],
  ])("rejects %s with the rule it breaks", (tier, message) => {
    expect(cloudSqlTierProblem(tier)).toMatch(message);
  });
});

describe("environment profile", () => {
  it("prod: 3 zones, NAT per zone, HA, protected, 14-day backups unless configured", () => {
    expect(environmentProfile(config({ environment: "prod" }))).toMatchObject({
      zoneCount: 3,
      natPerZone: true,
      highAvailability: true,
      deletionProtection: true,
      backupRetentionDays: 14,
      objectLogStorage: true,
    });
  });

  it("dev: 2 zones, one NAT, no HA, 7-day backups, configured retention wins", () => {
    expect(environmentProfile(config())).toMatchObject({
      zoneCount: 2,
      natPerZone: false,
      backupRetentionDays: 7,
    });
    expect(
      environmentProfile(config({ postgres: { version: "16", backupRetentionDays: 21 } }))
        .backupRetentionDays,
    ).toBe(21);
  });
});

describe("gcpLabels", () => {
  it("folds free-text values into GCP's label alphabet", () => {
    expect(gcpLabels({ owner: "ML Platform/Team", environment: "prod" })).toEqual({
      owner: "ml_platform_team",
      environment: "prod",
    });
  });
});

describe("tagList", () => {
  it("renders tags as the k=v,k=v list cloud controllers read from Service annotations", () => {
    expect(tagList({ project: "llmops", environment: "prod", stack: "prod" })).toBe(
      "project=llmops,environment=prod,stack=prod",
    );
  });
});

describe("secret catalogue", () => {
  it("names entries <project>-<stack>-<purpose> and omits what the stack does not configure", () => {
    expect(secretCatalogue(config())).toEqual({
      postgres: "llmops-dev-postgres",
      llmProviders: { openai: "llmops-dev-llm-openai" },
    });
  });

  it("adds alerting, client and admin key entries when configured", () => {
    const names = secretCatalogue(
      config({
        alerting: { pagerdutyRoutingKey: pulumi.secret("r") },
        clientApiKeys: [{ tenant: "acme", key: pulumi.secret("k") }],
        adminApiKeys: [pulumi.secret("a")],
      }),
    );
    expect(names).toMatchObject({
      alerting: "llmops-dev-alerting",
      clientApiKeys: "llmops-dev-client-api-keys",
      adminApiKeys: "llmops-dev-admin-api-keys",
    });
  });
});

describe("execKubeconfig", () => {
  it("authenticates through the exec plugin and carries no token", () => {
    const kubeconfig = parse(
      execKubeconfig({
        name: "c",
        server: "https://api.example",
        certificateAuthorityData: "Q0E=",
        exec: { command: "aws", args: ["eks", "get-token"], installHint: "install it" },
      }),
    );
    expect(kubeconfig["current-context"]).toBe("c");
    expect(kubeconfig.clusters[0].cluster).toEqual({
      server: "https://api.example",
      "certificate-authority-data": "Q0E=",
    });
    expect(kubeconfig.users[0].user).toEqual({
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token"],
        installHint: "install it",
        provideClusterInfo: false,
        interactiveMode: "Never",
      },
    });
  });
});
