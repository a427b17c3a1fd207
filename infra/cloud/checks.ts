/**
 * What each cloud's API would refuse, checked from the stack config before anything runs: the mocks
 * of the offline plan accept any input, and a real provider answers some of these only halfway
 * through `pulumi up`. Every check returns problems (one line each, naming the config key that
 * leads to it and the provider's rule); none throws.
 *
 * Rules, from the providers' documentation:
 * - names: EKS cluster 1-100 of [A-Za-z0-9_-] starting alphanumeric; RDS DB identifier 1-63 letters,
 *   digits and hyphens, starting with a letter, no "--", no trailing hyphen; GKE cluster 1-40,
 *   Compute Engine resources (network, subnet, firewall, address) and Cloud DNS zones 1-63 of
 *   RFC 1035 labels [a-z]([-a-z0-9]*[a-z0-9])?; Cloud SQL instance id the same alphabet, and
 *   "project:instance" at most 98; service account ids 6-30 of [a-z0-9-], starting with a letter,
 *   ending alphanumeric; Azure resource group 1-90 of [-\w._()] not ending with '.'; AKS 1-63 of
 *   [A-Za-z0-9_-] starting and ending alphanumeric; VNet 2-64; Flexible Server 3-63 of lower-case
 *   letters, digits and hyphens, not starting or ending with a hyphen; Key Vault 3-24 of
 *   [A-Za-z0-9-], starting with a letter, ending alphanumeric, no "--"; storage accounts 3-24 of
 *   [a-z0-9].
 * - sizes: RDS gp3 storage 20-65536 GiB; Cloud SQL SSD 10-65536 GB; Flexible Server storage only in
 *   its fixed steps (32 GiB ... 32 TiB), and no zone-redundant HA on Burstable.
 * - address ranges: a cloud's ranges must not overlap each other (nor fall outside the block they are
 *   carved from), or the provider refuses or, worse, misroutes.
 */
import { GCP_IAM_ROLE } from "../../services/shared/src/contract.ts";
import type { Cloud, StackConfig } from "../config.ts";
import { awsRanges } from "./aws/network.ts";
import {
  AZURE_POSTGRES_STORAGE_GB,
  type AzurePostgresTier,
  azurePostgresTier,
} from "./azure/postgres-sizes.ts";
import { azureRanges, OVERLAY } from "./azure/network.ts";
import { overlapProblems, prefixLength } from "./cidr.ts";
import { gcpRanges } from "./gcp/network.ts";
import { gcpLoginUser } from "./gcp/postgres.ts";
import { azureVaultName, baseName, gcpAccountId } from "./naming.ts";
import { environmentProfile } from "./profile.ts";
import { cloudSqlTierProblem, POSTGRES_TIERS } from "./sizes.ts";
import type { DatabaseLoginRequest } from "./types.ts";

/** The ranges a cloud carves out of vpcCidr, or why it cannot (the block is too small). */
export function carve(
  vpcCidr: string,
  plan: () => Record<string, string>,
  cloud: string,
): { ranges?: Record<string, string>; problem?: string } {
  try {
    return { ranges: plan() };
  } catch {
    return {
      problem: `vpcCidr ${vpcCidr} is too small for the ${cloud} address plan: use a /16 (the default 10.40.0.0/16 shape) or larger`,
    };
  }
}

// ---- names ----------------------------------------------------------------------------------

interface NameRule {
  what: string;
  name: string;
  min: number;
  max: number;
  pattern: RegExp;
  alphabet: string;
}

const RFC1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function nameProblem(r: NameRule): string | undefined {
  if (r.name.length < r.min || r.name.length > r.max)
    return `${r.what} "${r.name}" has ${r.name.length} characters; the provider allows ${r.min}-${r.max}`;
  if (!r.pattern.test(r.name)) return `${r.what} "${r.name}" is not ${r.alphabet}`;
  return undefined;
}

/** A placeholder of the random suffix's length: the suffix's characters are always valid. */
const suffix = (length: number) => "0".repeat(length);

/** The names the cloud layer gives, built the way the cloud modules build them. */
export function cloudNames(config: StackConfig): NameRule[] {
  const base = baseName(config);
  const lowerLabel = "lower-case letters, digits and '-', starting with a letter and ending alphanumeric";
  switch (config.cloud) {
    case "aws":
      return [
        {
          what: "EKS cluster name",
          name: base,
          min: 1,
          max: 100,
          pattern: /^[0-9A-Za-z][A-Za-z0-9_-]*$/,
          alphabet: "letters, digits, '-' and '_', starting alphanumeric",
        },
        {
          what: "RDS DB instance identifier",
          name: `${base}-postgres`,
          min: 1,
          max: 63,
          pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/,
          alphabet: `${lowerLabel}, without "--"`,
        },
      ];
    case "gcp": {
      const project = config.gcp?.project ?? "";
      const label = (what: string, name: string, max = 63) => ({
        what,
        name,
        min: 1,
        max,
        pattern: RFC1035,
        alphabet: lowerLabel,
      });
      return [
        label("GKE cluster name", base, 40),
        label("VPC network/subnet name", `${base}-private-services`),
        label("firewall rule name", `${base}-control-plane-webhooks`),
        label("Cloud DNS zone name", `${base}-zone`),
        label("Cloud SQL instance id", `${base}-pg-${suffix(4)}`, 98 - project.length - 1),
        {
          what: "service account id",
          name: gcpAccountId(base, "external-secrets"),
          min: 6,
          max: 30,
          pattern: RFC1035,
          alphabet: lowerLabel,
        },
      ];
    }
    case "azure":
      return [
        {
          what: "resource group name",
          name: `rg-${base}`,
          min: 1,
          max: 90,
          pattern: /^[-\w._()]*[-\w_()]$/,
          alphabet: "letters, digits, '-', '_', '.' and parentheses, not ending with '.'",
        },
        {
          what: "AKS cluster name",
          name: `${base}-aks`,
          min: 1,
          max: 63,
          pattern: /^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?$/,
          alphabet: "letters, digits, '-' and '_', starting and ending alphanumeric",
        },
        {
          what: "virtual network name",
          name: `${base}-vnet`,
          min: 2,
          max: 64,
          pattern: /^[A-Za-z0-9][-\w.]*\w$/,
          alphabet: "letters, digits, '-', '_' and '.', starting alphanumeric",
        },
        {
          what: "Postgres Flexible Server name",
          name: `${base}-pg-${suffix(5)}`,
          min: 3,
          max: 63,
          pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
          alphabet: "lower-case letters, digits and '-', not starting or ending with '-'",
        },
        {
          what: "Key Vault name",
          name: azureVaultName(base, suffix(5)),
          min: 3,
          max: 24,
          pattern: /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/,
          alphabet: `letters, digits and '-', starting with a letter, ending alphanumeric, without "--"`,
        },
      ];
  }
}

export function nameProblems(config: StackConfig): string[] {
  return cloudNames(config)
    .map(nameProblem)
    .filter((p): p is string => p !== undefined)
    .map(
      (p) =>
        `stack name "${config.stack}": ${p} (names derive from "<project>-<stack>": use a shorter stack name of lower-case letters, digits and '-')`,
    );
}

// ---- managed Postgres -----------------------------------------------------------------------

/** The tier a Flexible Server SKU belongs to (the family letter after "Standard_"), or a problem. */
export function azurePostgresSkuProblem(sku: string, tier: AzurePostgresTier): string | undefined {
  const m = /^Standard_([BDE])(\d+)([a-z]*)(_v(\d))?$/.exec(sku);
  if (!m)
    return `${sku}: not a Flexible Server compute SKU (Standard_B1ms, Standard_D4ds_v5, Standard_E2ds_v5 ...)`;
  const family = { B: "Burstable", D: "GeneralPurpose", E: "MemoryOptimized" }[m[1] as "B" | "D" | "E"];
  if (family !== tier) return `${sku} is a ${family} SKU, not ${tier}`;
  if (family === "Burstable" && m[4])
    return `${sku}: Burstable SKUs have no _v suffix (Standard_B2s, Standard_B2ms)`;
  if (family !== "Burstable" && !m[4]) return `${sku}: ${family} SKUs carry a generation (_v3, _v4, _v5)`;
  return undefined;
}

/** Instance classes RDS for PostgreSQL offers (current families), db.<family>.<size>. */
const RDS_FAMILIES = new Set([
  "t3",
  "t4g",
  "m5",
  "m5d",
  "m6g",
  "m6gd",
  "m6i",
  "m6id",
  "m6idn",
  "m6in",
  "m7g",
  "m7gd",
  "m7i",
  "m8g",
  "r5",
  "r5b",
  "r5d",
  "r6g",
  "r6gd",
  "r6i",
  "r6id",
  "r6idn",
  "r6in",
  "r7g",
  "r7gd",
  "r7i",
  "r8g",
  "x2g",
  "x2iedn",
]);
export function rdsInstanceClassProblem(cls: string): string | undefined {
  const m = /^db\.([a-z0-9]+)\.(micro|small|medium|large|xlarge|(\d+)xlarge|metal)$/.exec(cls);
  if (!m) return `${cls}: not an RDS instance class (db.<family>.<size>, e.g. db.r7g.large)`;
  const [, family, size] = m;
  if (!RDS_FAMILIES.has(family!)) return `${cls}: RDS for PostgreSQL has no ${family} instance family`;
  const burstable = family!.startsWith("t");
  if (burstable && !["micro", "small", "medium", "large", "xlarge", "2xlarge"].includes(size!))
    return `${cls}: burstable classes run from micro to 2xlarge`;
  if (!burstable && ["micro", "small", "medium"].includes(size!))
    return `${cls}: ${family} classes start at large`;
  return undefined;
}

export function postgresProblems(config: StackConfig): string[] {
  const profile = environmentProfile(config);
  const gb = profile.postgresStorageGb;
  const tier = POSTGRES_TIERS[config.cloud][config.environment];
  const out: string[] = [];
  const size = (min: number, max: number, product: string) => {
    if (gb < min || gb > max)
      out.push(`postgres.storageGb: ${gb} GB is outside ${product}'s ${min}-${max} GB`);
  };
  const add = (p: string | undefined, what: string) => p && out.push(`${what} ${p}`);
  const byCloud: Record<Cloud, () => void> = {
    aws: () => {
      add(rdsInstanceClassProblem(tier), "RDS instance class");
      size(20, 65536, "RDS gp3 storage");
    },
    gcp: () => {
      add(cloudSqlTierProblem(tier), "Cloud SQL tier");
      size(10, 65536, "Cloud SQL SSD storage");
    },
    azure: () => {
      const azureTier = azurePostgresTier(profile.highAvailability);
      add(azurePostgresSkuProblem(tier, azureTier), "Postgres Flexible Server SKU");
      if (profile.highAvailability && azureTier === "Burstable")
        out.push("Postgres Flexible Server: zone-redundant HA is not available on Burstable SKUs");
      const max = AZURE_POSTGRES_STORAGE_GB.at(-1)!;
      if (gb > max) out.push(`postgres.storageGb: ${gb} GB is more than Azure Flexible Server's ${max} GiB`);
    },
  };
  byCloud[config.cloud]();
  return out;
}

// ---- address ranges -------------------------------------------------------------------------

const FIX = "choose another vpcCidr";

export function rangeProblems(config: StackConfig): string[] {
  const vpc = config.vpcCidr;
  const out: string[] = [];
  const carved = (name: string, plan: () => Record<string, string>, extra: Record<string, string> = {}) => {
    const { ranges, problem } = carve(vpc, plan, name);
    if (problem) out.push(problem);
    else out.push(...overlapProblems({ ...ranges, ...extra }, FIX));
  };
  switch (config.cloud) {
    case "aws":
      // VPC blocks are /16 to /28; the public /24s (at /16) must stay at least the /28 a subnet needs.
      if (prefixLength(vpc) < 16 || prefixLength(vpc) > 20)
        out.push(
          `vpcCidr ${vpc}: an AWS VPC block is at most a /16, and this address plan needs at least a /20`,
        );
      else carved("AWS", () => awsRanges(vpc, environmentProfile(config).zoneCount));
      break;
    case "gcp":
      // Nodes, services, private services access, the control plane's /28 and the pods' half.
      carved("GKE", () => gcpRanges(vpc));
      break;
    case "azure":
      carved("AKS", () => azureRanges(vpc));
      out.push(
        ...overlapProblems(
          {
            vpcCidr: vpc,
            "the AKS overlay pod range": OVERLAY.podCidr,
            "the AKS service range": OVERLAY.serviceCidr,
          },
          FIX,
        ),
      );
      break;
  }
  return out;
}

/**
 * The database logins' names (GCP only: RDS and Entra take the login's own role name). A Cloud SQL
 * IAM user is its service account's email without ".gserviceaccount.com", so a long project id can
 * push it past PostgreSQL's 63 bytes.
 */
export function loginProblems(config: StackConfig, logins: readonly DatabaseLoginRequest[]): string[] {
  if (config.cloud !== "gcp") return [];
  const base = baseName(config);
  const project = config.gcp?.project ?? "";
  return logins.flatMap((login) => {
    const user = gcpLoginUser(base, project, login.id);
    return GCP_IAM_ROLE.test(user)
      ? []
      : [
          `gcp.project "${project}": the Cloud SQL IAM user of the ${login.id} login, "${user}" (${user.length} characters), is no PostgreSQL role name of at most 63 characters${user.length > 63 ? ` (use a project id of at most ${project.length - (user.length - 63)} characters)` : ""}`,
        ];
  });
}

/** Every problem the cloud's API would raise for this config, in the order a reader fixes them. */
export function cloudProblems(config: StackConfig, logins: readonly DatabaseLoginRequest[] = []): string[] {
  return [
    ...nameProblems(config),
    ...rangeProblems(config),
    ...postgresProblems(config),
    ...loginProblems(config, logins),
  ];
}
