/**
 * The CloudLayer contract in-process: each cloud component runs under the offline plan's mocks in
 * this test's own process, so the values the plan must redact (kubeconfig, secret entries) can be
 * read and checked here: the kubeconfig is built from the cluster's outputs with the cloud's exec
 * credential plugin, and the blocks handed to the platform have the shapes its charts and CRDs expect.
 */
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { AwsCloud } from "../../infra/cloud/aws.ts";
import { rdsCaBundle } from "../../infra/cloud/aws/postgres-ca.ts";
import { AzureCloud } from "../../infra/cloud/azure.ts";
import { GcpCloud } from "../../infra/cloud/gcp.ts";
import { secretEntries } from "../../infra/cloud/secrets.ts";
import type { CloudLayer } from "../../infra/cloud/types.ts";
import type { DatabaseLoginRequest } from "../../infra/cloud/types.ts";
import { POSTGRES_ROLES_SERVICE_ACCOUNT, SERVICE_ACCOUNTS } from "../../infra/names.ts";
import { type Cloud, decode, parseStackConfig, type StackConfig } from "../../infra/config.ts";
import { createMocks, hex } from "../../infra/offline/mocks.ts";
import { loadStackFiles } from "../../infra/offline/stackfile.ts";
import { ROOT } from "../helpers/plan.ts";

/** The prod stack file with the cloud overridden, parsed exactly as the plan does. */
function stackConfig(cloud: Cloud): StackConfig {
  const files = loadStackFiles(ROOT, "prod", [`cloud=${cloud}`]);
  const prefix = `${files.project}:`;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(files.config))
    if (k.startsWith(prefix)) raw[k.slice(prefix.length)] = decode(v);
  const secretKeys = new Set(files.secretKeys.map((k) => k.slice(prefix.length)));
  return parseStackConfig(raw, { project: files.project, stack: "prod", secretKeys });
}

const value = <T>(output: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> =>
  new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as pulumi.Unwrap<T>)));

interface Built {
  config: StackConfig;
  layer: CloudLayer;
  kubeconfig: any;
}

const CLASSES = { aws: AwsCloud, gcp: GcpCloud, azure: AzureCloud };

/** Logins as infra/index.ts asks for them: data naming a role and a ServiceAccount, no service. */
const LOGINS: DatabaseLoginRequest[] = [
  { id: "ledger", role: "ledger", serviceAccount: { namespace: "llmops", name: "ledger" } },
  { id: "audit-log", role: "audit_log", serviceAccount: { namespace: "llmops", name: "audit-log" } },
];

/** Builds one cloud's layer under fresh mocks and resolves its kubeconfig. */
async function build(cloud: Cloud): Promise<Built> {
  const config = stackConfig(cloud);
  await pulumi.runtime.setMocks(
    createMocks(
      { region: config.region, gcpProject: config.gcp?.project ?? "plan", addSecret() {} },
      new Set(),
    ),
    config.project,
    config.stack,
    false,
  );
  const layer = new CLASSES[cloud]("cloud", { config, databaseLogins: LOGINS });
  return { config, layer, kubeconfig: parse(await value(layer.kubeconfig)) };
}

const built: Partial<Record<Cloud, Built>> = {};
beforeAll(async () => {
  // One cloud at a time: the mocks are process-global.
  for (const cloud of ["aws", "gcp", "azure"] as const) built[cloud] = await build(cloud);
});
const get = (cloud: Cloud) => built[cloud]!;

describe.each(["aws", "gcp", "azure"] as const)("%s layer", (cloud) => {
  it("keeps the kubeconfig secret and free of static credentials", async () => {
    const { layer, kubeconfig } = get(cloud);
    expect(await pulumi.isSecret(layer.kubeconfig)).toBe(true);
    const user = kubeconfig.users[0].user;
    expect(Object.keys(user)).toEqual(["exec"]);
    expect(user.exec.apiVersion).toBe("client.authentication.k8s.io/v1beta1");
    const ca = kubeconfig.clusters[0].cluster["certificate-authority-data"];
    expect(Buffer.from(ca, "base64").toString()).toContain("BEGIN CERTIFICATE");
  });

  it("names the cluster <project>-<stack>", async () => {
    expect(await value(get(cloud).layer.clusterName)).toBe("llmops-prod");
  });

  it("binds each identity to the ServiceAccount the platform installs", () => {
    const { identities } = get(cloud).layer;
    for (const [consumer, sa] of Object.entries(SERVICE_ACCOUNTS)) {
      expect(identities[consumer as keyof typeof SERVICE_ACCOUNTS].serviceAccount).toEqual(sa);
    }
  });

  it("stores a Postgres entry whose URL reaches the managed server with verified TLS", async () => {
    const { config, layer } = get(cloud);
    const sslmode = layer.postgres.tls.sslmode;
    // Cloud SQL's private-IP certificate names no IP: the chain to its per-instance CA is the check.
    expect(sslmode).toBe(cloud === "gcp" ? "verify-ca" : "verify-full");
    const [entry] = secretEntries(config, {
      host: layer.postgres.host,
      password: pulumi.secret("pw-123"),
      sslmode,
    });
    expect(entry!.key).toBe(await value(layer.postgres.secretName));
    const pg = JSON.parse(await value(entry!.value));
    expect(pg).toEqual({
      username: "llmops",
      password: "pw-123",
      host: await value(layer.postgres.host),
      port: 5432,
      database: "llmops",
      sslmode,
      url: `postgres://llmops:pw-123@${pg.host}:5432/llmops?sslmode=${sslmode}`,
    });
    expect(await pulumi.isSecret(entry!.value)).toBe(true);
  });

  it("hands the CA bundle the server certificate chains to, as parseable PEM certificates", async () => {
    const bundle = await value(get(cloud).layer.postgres.tls.caBundle);
    const pems = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    expect(pems.length).toBeGreaterThan(0);
    // The mocked Cloud SQL CA is a placeholder; the RDS and Azure roots are the real certificates.
    if (cloud !== "gcp")
      for (const pem of pems) expect(new X509Certificate(pem).ca, "a CA certificate").toBe(true);
  });

  it("logs each requested login in with a workload identity bound to its own ServiceAccount", () => {
    const { postgres } = get(cloud).layer;
    expect(postgres.auth).toBe({ aws: "aws-iam", gcp: "gcp-iam", azure: "azure-entra" }[cloud]);
    expect(Object.keys(postgres.logins)).toEqual(LOGINS.map((l) => l.id));
    for (const l of LOGINS) expect(postgres.logins[l.id]!.identity.serviceAccount).toEqual(l.serviceAccount);
  });

  it("hands Loki object storage values in prod", async () => {
    const storage = (await value(get(cloud).layer.logStorage!)) as Record<string, any>;
    expect(storage.bucketNames).toEqual({ chunks: expect.any(String), ruler: expect.any(String) });
  });
});

describe("aws layer outputs", () => {
  it("kubeconfig: the EKS endpoint and `aws eks get-token` for the cluster", () => {
    const { kubeconfig } = get("aws");
    expect(kubeconfig.clusters[0].cluster.server).toBe(
      `https://${hex("llmops-prod", 32).toUpperCase()}.gr7.us-east-1.eks.amazonaws.com`,
    );
    expect(kubeconfig.users[0].user.exec).toMatchObject({
      command: "aws",
      args: [
        "eks",
        "get-token",
        "--cluster-name",
        "llmops-prod",
        "--region",
        "us-east-1",
        "--output",
        "json",
      ],
    });
  });

  it("identities: IRSA role annotations, no pod labels", async () => {
    const { identities } = get("aws").layer;
    const annotations = await value(identities.externalDns.serviceAccountAnnotations);
    expect(annotations).toEqual({
      "eks.amazonaws.com/role-arn": expect.stringContaining("llmops-prod-external-dns"),
    });
    expect(identities.externalDns.podLabels).toEqual({});
  });

  it("Postgres host is the RDS instance address", async () => {
    expect(await value(get("aws").layer.postgres.host)).toMatch(
      /^llmops-prod-postgres\.[0-9a-f]{12}\.us-east-1\.rds\.amazonaws\.com$/,
    );
  });

  it("Loki storage: s3 in the stack's region", async () => {
    expect(await value(get("aws").layer.logStorage!)).toMatchObject({
      type: "s3",
      s3: { region: "us-east-1" },
    });
  });
});

describe("gcp layer outputs", () => {
  it("kubeconfig: the GKE endpoint and gke-gcloud-auth-plugin", () => {
    const { kubeconfig } = get("gcp");
    expect(kubeconfig.clusters[0].cluster.server).toBe(
      `https://34.${parseInt(hex("llmops-prod", 2), 16)}.10.2`,
    );
    expect(kubeconfig.users[0].user.exec).toMatchObject({ command: "gke-gcloud-auth-plugin", args: [] });
  });

  it("identities: the Workload Identity Google service account annotation", async () => {
    const annotations = await value(get("gcp").layer.identities.externalSecrets.serviceAccountAnnotations);
    expect(annotations).toEqual({
      "iam.gke.io/gcp-service-account": "llmops-prod-eso@acme-llmops-prod.iam.gserviceaccount.com",
    });
  });

  it("external-dns: the google provider confined to the project's public zones", async () => {
    expect(get("gcp").layer.externalDns.provider).toBe("google");
    expect(await value(get("gcp").layer.externalDns.values)).toMatchObject({
      extraArgs: ["--google-project=acme-llmops-prod", "--google-zone-visibility=public"],
    });
  });

  it("Postgres host is Cloud SQL's private IP; Loki storage is GCS", async () => {
    expect(await value(get("gcp").layer.postgres.host)).toMatch(/^10\.\d+\.0\.3$/);
    expect(await value(get("gcp").layer.logStorage!)).toMatchObject({ type: "gcs" });
  });
});

describe("azure layer outputs", () => {
  it("kubeconfig: the AKS API server from the cluster credentials and kubelogin", () => {
    const { kubeconfig } = get("azure");
    expect(kubeconfig.clusters[0].cluster.server).toBe(
      `https://llmops-prod-${hex("llmops-prod", 8)}.hcp.eastus2.azmk8s.io:443`,
    );
    expect(kubeconfig.users[0].user.exec).toMatchObject({
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
    });
  });

  it("identities: client-id annotation plus the workload identity pod label", async () => {
    const { certManager } = get("azure").layer.identities;
    expect(await value(certManager.serviceAccountAnnotations)).toEqual({
      "azure.workload.identity/client-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(certManager.podLabels).toEqual({ "azure.workload.identity/use": "true" });
  });

  it("external-dns: azure.json with workload identity, no client secret", async () => {
    const values = (await value(get("azure").layer.externalDns.values)) as Record<string, any>;
    const azureJson = JSON.parse(values.secretConfiguration.data["azure.json"]);
    expect(azureJson).toEqual({
      tenantId: expect.any(String),
      subscriptionId: expect.any(String),
      resourceGroup: expect.any(String),
      useWorkloadIdentityExtension: true,
    });
    expect(values.secretConfiguration.mountPath).toBe("/etc/kubernetes/");
  });

  it("Postgres host is the Flexible Server FQDN; Loki storage is Blob with federated tokens", async () => {
    expect(await value(get("azure").layer.postgres.host)).toMatch(/\.postgres\.database\.azure\.com$/);
    expect(await value(get("azure").layer.logStorage!)).toMatchObject({
      type: "azure",
      azure: { useFederatedToken: true },
    });
  });
});

describe("Postgres token logins", () => {
  const login = (cloud: Cloud, id: string) => get(cloud).layer.postgres.logins[id]!;

  it("aws: the user is the login's role; its IRSA role is annotated; the signer's region is set", async () => {
    const { postgres } = get("aws").layer;
    expect(await value(login("aws", "audit-log").user)).toBe("audit_log");
    expect(await value(login("aws", "audit-log").identity.serviceAccountAnnotations)).toEqual({
      "eks.amazonaws.com/role-arn": expect.stringContaining("llmops-prod-db-audit-log"),
    });
    expect(login("aws", "audit-log").objectId).toBeUndefined();
    expect(postgres.clientEnv).toEqual({ AWS_REGION: "us-east-1" });
    // The Job keeps the password admin: RDS lets it create IAM roles (grant rds_iam).
    expect(postgres.tokenAdmin).toBeUndefined();
  });

  it("gcp: the user is the Google service account's email without .gserviceaccount.com", async () => {
    const { postgres } = get("gcp").layer;
    expect(await value(login("gcp", "audit-log").user)).toBe("llmops-prod-db-audit-log@acme-llmops-prod.iam");
    expect(await value(login("gcp", "audit-log").identity.serviceAccountAnnotations)).toEqual({
      "iam.gke.io/gcp-service-account": "llmops-prod-db-audit-log@acme-llmops-prod.iam.gserviceaccount.com",
    });
    expect(postgres.clientEnv).toEqual({});
    expect(postgres.tokenAdmin).toBeUndefined();
  });

  it("azure: the user is the login's role, mapped to its managed identity's principal id", async () => {
    const { postgres } = get("azure").layer;
    expect(await value(login("azure", "audit-log").user)).toBe("audit_log");
    expect(await value(login("azure", "audit-log").objectId!)).toMatch(/^[0-9a-f-]{36}$/);
    expect(login("azure", "audit-log").identity.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    expect(postgres.clientEnv).toEqual({});
  });

  it("azure: the roles Job logs in as the server's Entra administrator, its own identity's name", async () => {
    const admin = get("azure").layer.postgres.tokenAdmin!;
    expect(admin.identity.serviceAccount).toEqual(POSTGRES_ROLES_SERVICE_ACCOUNT);
    expect(await value(admin.user)).toBe("llmops-prod-db-admin");
    expect(await value(admin.identity.serviceAccountAnnotations)).toEqual({
      "azure.workload.identity/client-id": expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});

describe("Postgres CA bundles", () => {
  const subjects = async (cloud: Cloud) =>
    (
      (await value(get(cloud).layer.postgres.tls.caBundle)).match(
        /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
      ) ?? []
    ).map((pem) => new X509Certificate(pem).subject.split("\n").find((l) => l.startsWith("CN=")));

  it("aws: the region's RDS G1 roots, which include the CA the instance is pinned to", async () => {
    expect(await subjects("aws")).toEqual([
      "CN=Amazon RDS us-east-1 Root CA RSA2048 G1",
      "CN=Amazon RDS us-east-1 Root CA RSA4096 G1",
      "CN=Amazon RDS us-east-1 Root CA ECC384 G1",
    ]);
  });

  it("aws: a region the pinned bundle does not know fails with the region named", () => {
    expect(() => rdsCaBundle("mars-north-1")).toThrow(/region: .*mars-north-1/);
  });

  it("azure: exactly the roots Azure Database for PostgreSQL documents", async () => {
    expect(await subjects("azure")).toEqual([
      "CN=DigiCert Global Root G2",
      "CN=Microsoft RSA Root Certificate Authority 2017",
      "CN=DigiCert Global Root CA",
    ]);
  });

  it("gcp: every server CA the instance lists (its per-instance CA)", async () => {
    expect(await value(get("gcp").layer.postgres.tls.caBundle)).toMatch(
      /^-----BEGIN CERTIFICATE-----\nMIIcloudsql/,
    );
  });
});
