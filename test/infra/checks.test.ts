/**
 * Plan-time validation: what each cloud's API (and the pinned releases) would refuse for a config is
 * one ConfigError listing every problem, found before any resource is registered; the shipped stack
 * files and every cloud's defaults pass. The offline plan reports it as bad config (exit 2), never a
 * stack trace.
 */
import { describe, expect, it } from "vitest";
import { azurePostgresSkuProblem, cloudProblems, rdsInstanceClassProblem } from "../../infra/cloud/checks.ts";
import { AZURE_POSTGRES_STORAGE_GB, azurePostgresStorageGb } from "../../infra/cloud/azure/postgres-sizes.ts";
import { ConfigError, parseStackConfig } from "../../infra/config.ts";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../../infra/platform/versions.ts";
import { stackProblems, validateStack } from "../../infra/validate.ts";
import { runPlanCli } from "../helpers/plan.ts";
import { minimalStackConfig } from "../helpers/stack-config.ts";

const CLOUDS = ["aws", "gcp", "azure"] as const;
const REGION = { aws: "us-east-1", gcp: "us-central1", azure: "eastus2" } as const;

function stack(cloud: (typeof CLOUDS)[number], overrides: Record<string, unknown> = {}, name = "dev") {
  return parseStackConfig(
    minimalStackConfig({
      cloud,
      region: REGION[cloud],
      ...(cloud === "gcp" ? { gcp: { project: "acme-llmops-dev" } } : {}),
      ...overrides,
    }),
    { project: "llmops", stack: name, secretKeys: new Set(["llmProviders", "alerting"]) },
  );
}

describe("the defaults pass on every cloud", () => {
  it.each(CLOUDS)("%s: dev and prod defaults have no problem", (cloud) => {
    expect(stackProblems(stack(cloud))).toEqual([]);
    expect(
      stackProblems(
        stack(cloud, {
          environment: "prod",
          alerting: { pagerdutyRoutingKey: "pd-routing-key-123" },
        }),
      ),
    ).toEqual([]);
  });
});

describe("names the providers would refuse", () => {
  it("a stack name too long for a GKE cluster (40), a firewall rule (63) and Cloud SQL is refused, naming each rule", () => {
    const p = cloudProblems(stack("gcp", {}, "review-feature-some-very-long-branch-name"));
    expect(p).toContainEqual(
      expect.stringMatching(
        /GKE cluster name "llmops-review-feature-.*" has 48 characters; the provider allows 1-40/,
      ),
    );
    expect(p).toContainEqual(
      expect.stringMatching(/firewall rule name .* has 71 characters; the provider allows 1-63/),
    );
    expect(p.every((m) => m.startsWith('stack name "review-feature-some-very-long-branch-name":'))).toBe(
      true,
    );
  });

  it("upper case, '_' and '.' in the stack name break RDS, Compute Engine and Flexible Server names", () => {
    expect(cloudProblems(stack("aws", {}, "Review_1"))).toContainEqual(
      expect.stringContaining(
        'RDS DB instance identifier "llmops-Review_1-postgres" is not lower-case letters',
      ),
    );
    expect(cloudProblems(stack("gcp", {}, "pr.12"))).toContainEqual(
      expect.stringContaining('GKE cluster name "llmops-pr.12" is not lower-case letters'),
    );
    expect(cloudProblems(stack("azure", {}, "pr_12"))).toContainEqual(
      expect.stringContaining(
        'Postgres Flexible Server name "llmops-pr_12-pg-00000" is not lower-case letters',
      ),
    );
  });

  it("a double hyphen is refused where the provider refuses it (RDS, Key Vault), accepted elsewhere", () => {
    expect(cloudProblems(stack("aws", {}, "a--b")).join("\n")).toMatch(
      /RDS DB instance identifier .* without "--"/,
    );
    expect(cloudProblems(stack("azure", {}, "a--b")).join("\n")).toMatch(/Key Vault name .* without "--"/);
    expect(cloudProblems(stack("gcp", {}, "a--b"))).toEqual([]);
  });

  it("cut names never end in '-' (GCP service accounts, Key Vault): a long stack name still gets valid ones", () => {
    // 24 characters of base before "-external-secrets" would be cut at a hyphen.
    expect(cloudProblems(stack("gcp", {}, "abcdefgh-ijklmnop"))).toEqual([]);
    expect(cloudProblems(stack("azure", {}, "abcdefghij-klmnop"))).toEqual([]);
  });

  it("Cloud SQL counts the project id into its 98 characters", () => {
    const long = "a".repeat(80);
    expect(cloudProblems(stack("gcp", { gcp: { project: "acme-llmops-dev" } }, long)).join("\n")).toMatch(
      /Cloud SQL instance id .* has \d+ characters; the provider allows 1-82/,
    );
  });
});

describe("database login names", () => {
  it("GCP: a Cloud SQL IAM user past PostgreSQL's 63 characters is refused, naming gcp.project and the login", () => {
    // A review stack's account ids fill their 30 characters; with a 30-character project id,
    // <account id>@<project>.iam has 65.
    const config = stack("gcp", { gcp: { project: "acme-llmops-production-eu-wst1" } }, "review-1234");
    const problems = stackProblems(config);
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^gcp\.project "acme-llmops-production-eu-wst1": the Cloud SQL IAM user of the trace-proxy login, "llmops-review-1-db-trace-proxy@acme-llmops-production-eu-wst1\.iam" \(65 characters\).*use a project id of at most 28 characters/,
      ),
    );
    expect(() => validateStack(config)).toThrow(ConfigError);
  });

  it("GCP: the shipped project ids leave room; RDS and Entra logins keep their role's name", () => {
    const login = {
      id: "trace-proxy",
      role: "trace_proxy",
      serviceAccount: { namespace: "llmops", name: "trace-proxy" },
    };
    expect(cloudProblems(stack("gcp"), [login])).toEqual([]);
    const long = {
      id: "a".repeat(60),
      role: "a".repeat(60),
      serviceAccount: { namespace: "llmops", name: "a" },
    };
    expect(cloudProblems(stack("aws"), [long])).toEqual([]);
    expect(cloudProblems(stack("azure"), [long])).toEqual([]);
  });
});

describe("address ranges", () => {
  it("AWS: a VPC block wider than /16 is refused by EC2; one narrower than /20 cannot hold the subnets", () => {
    expect(cloudProblems(stack("aws", { vpcCidr: "10.0.0.0/8" }))).toEqual([
      "vpcCidr 10.0.0.0/8: an AWS VPC block is at most a /16, and this address plan needs at least a /20",
    ]);
    expect(cloudProblems(stack("aws", { vpcCidr: "10.0.0.0/24" }))).toHaveLength(1);
    expect(cloudProblems(stack("aws", { vpcCidr: "10.0.0.0/18" }))).toEqual([]);
  });

  it("GKE: a block too small for nodes, services, private services, the control plane /28 and the pods is refused, not a crash", () => {
    expect(cloudProblems(stack("gcp", { vpcCidr: "10.0.0.0/24" }))).toEqual([
      "vpcCidr 10.0.0.0/24 is too small for the GKE address plan: use a /16 (the default 10.40.0.0/16 shape) or larger",
    ]);
    expect(cloudProblems(stack("gcp", { vpcCidr: "10.8.0.0/14" }))).toEqual([]);
  });

  it("Azure: the VNet must miss the overlay pod and service ranges (the earlier check, now a problem, not a throw)", () => {
    expect(cloudProblems(stack("azure", { vpcCidr: "192.168.0.0/16" }))).toEqual([
      "vpcCidr 192.168.0.0/16 overlaps the AKS overlay pod range 192.168.0.0/16: choose another vpcCidr",
    ]);
    expect(cloudProblems(stack("azure", { vpcCidr: "172.16.0.0/12" }))).toEqual([
      "vpcCidr 172.16.0.0/12 overlaps the AKS service range 172.16.0.0/16: choose another vpcCidr",
    ]);
  });
});

describe("managed Postgres sizes and tiers", () => {
  it("RDS instance classes: known families and sizes only", () => {
    expect(rdsInstanceClassProblem("db.r7g.large")).toBeUndefined();
    expect(rdsInstanceClassProblem("db.t4g.small")).toBeUndefined();
    expect(rdsInstanceClassProblem("db.m6i.24xlarge")).toBeUndefined();
    expect(rdsInstanceClassProblem("r7g.large")).toMatch(/not an RDS instance class/);
    expect(rdsInstanceClassProblem("db.c7g.large")).toMatch(/no c7g instance family/);
    expect(rdsInstanceClassProblem("db.r7g.small")).toMatch(/start at large/);
    expect(rdsInstanceClassProblem("db.t4g.4xlarge")).toMatch(/micro to 2xlarge/);
  });

  it("Flexible Server SKUs belong to the tier they are sold in", () => {
    expect(azurePostgresSkuProblem("Standard_B1ms", "Burstable")).toBeUndefined();
    expect(azurePostgresSkuProblem("Standard_E2ds_v5", "MemoryOptimized")).toBeUndefined();
    expect(azurePostgresSkuProblem("Standard_D4ds_v5", "GeneralPurpose")).toBeUndefined();
    expect(azurePostgresSkuProblem("Standard_E2ds_v5", "Burstable")).toBe(
      "Standard_E2ds_v5 is a MemoryOptimized SKU, not Burstable",
    );
    expect(azurePostgresSkuProblem("Standard_D4ds", "GeneralPurpose")).toMatch(/carry a generation/);
    expect(azurePostgresSkuProblem("GP_Gen5_2", "GeneralPurpose")).toMatch(
      /not a Flexible Server compute SKU/,
    );
  });

  it("storage: each cloud's range; Flexible Server takes its next step up (20 GiB does not exist there)", () => {
    expect(cloudProblems(stack("aws", { postgres: { storageGb: 20 } }))).toEqual([]);
    expect(azurePostgresStorageGb(20)).toBe(32);
    expect(azurePostgresStorageGb(100)).toBe(128);
    expect(azurePostgresStorageGb(128)).toBe(128);
    expect(AZURE_POSTGRES_STORAGE_GB.at(-1)).toBe(32768);
  });
});

describe("the cluster-autoscaler version (EKS only: GKE and AKS scale their pools themselves)", () => {
  it("a Kubernetes minor with no pinned autoscaler is a config problem naming the supported ones", () => {
    const supported = Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS);
    const minors = supported.map((v) => Number(v.split(".")[1]));
    const unknown = `1.${Math.max(...minors) + 1}`;
    expect(stackProblems(stack("aws", { kubernetesVersion: unknown }))).toEqual([
      `kubernetesVersion: ${unknown} has no pinned cluster-autoscaler release, which must match the cluster's minor (supported: ${supported.join(", ")})`,
    ]);
    expect(stackProblems(stack("gcp", { kubernetesVersion: unknown }))).toEqual([]);
    expect(() => validateStack(stack("aws", { kubernetesVersion: unknown }))).toThrow(ConfigError);
  });

  it("npm run plan reports it as bad config: exit 2, one message, no stack trace", () => {
    const r = runPlanCli(["dev", "-c", "kubernetesVersion=1.99", "-c", "vpcCidr=10.0.0.0/8"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/kubernetesVersion: 1\.99 has no pinned cluster-autoscaler release/);
    expect(r.stderr).toMatch(/vpcCidr 10\.0\.0\.0\/8: an AWS VPC block is at most a \/16/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
