/**
 * Pulumi mocks that answer like the clouds do: resources get the computed outputs downstream code
 * reads (endpoints, CA data, OIDC issuers, identity ids), invokes get realistic account data.
 * Values are derived from a hash of the resource name so two plans of the same stack are identical.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export interface MockContext {
  region: string;
  gcpProject: string;
  /** Called with generated secret material so every output can redact it. */
  addSecret(value: string): void;
}

type Outputs = Record<string, unknown>;
type ResourceMock = (name: string, inputs: Outputs, ctx: MockContext) => Outputs;

export const AWS_ACCOUNT = "123456789012";
export const AZURE_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001";
export const AZURE_TENANT = "00000000-0000-4000-8000-0000000000aa";
const FAKE_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIplan\n-----END CERTIFICATE-----\n").toString(
  "base64",
);

export function hex(seed: string, length = 16): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

export function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const nameServers = (suffix: string) => [1, 2, 3, 4].map((i) => `ns-${i}.${suffix}`);

const RESOURCES: Record<string, ResourceMock> = {
  "random:index/randomPassword:RandomPassword": (name, _i, ctx) => {
    const result = `plan-password-${hex(name, 24)}`;
    ctx.addSecret(result);
    return { result, bcryptHash: `$2a$10$${hex(`${name}bcrypt`, 53)}` };
  },
  "random:index/randomId:RandomId": (name) => ({ hex: hex(name, 8), b64Url: hex(name, 11), dec: "4242" }),
  "random:index/randomString:RandomString": (name, inputs) => ({
    result: hex(name, Number(inputs.length ?? 8)),
  }),

  "aws:eks/cluster:Cluster": (name, _i, ctx) => ({
    endpoint: `https://${hex(name, 32).toUpperCase()}.gr7.${ctx.region}.eks.amazonaws.com`,
    certificateAuthority: { data: FAKE_CA },
    identities: [
      {
        oidcs: [{ issuer: `https://oidc.eks.${ctx.region}.amazonaws.com/id/${hex(name, 32).toUpperCase()}` }],
      },
    ],
    clusterId: uuid(name),
    platformVersion: "eks.8",
    status: "ACTIVE",
  }),
  "aws:route53/zone:Zone": (name, inputs) => ({
    zoneId: `Z${hex(name, 20).toUpperCase()}`,
    nameServers: nameServers(`awsdns-${String(inputs.name)}`),
  }),
  "aws:kms/key:Key": (name) => ({ keyId: uuid(name) }),
  "aws:rds/cluster:Cluster": (name, _i, ctx) => ({
    endpoint: `${name}.cluster-${hex(name, 12)}.${ctx.region}.rds.amazonaws.com`,
    readerEndpoint: `${name}.cluster-ro-${hex(name, 12)}.${ctx.region}.rds.amazonaws.com`,
    port: 5432,
  }),
  "aws:rds/instance:Instance": (name, inputs, ctx) => ({
    address: `${name}.${hex(name, 12)}.${ctx.region}.rds.amazonaws.com`,
    endpoint: `${name}.${hex(name, 12)}.${ctx.region}.rds.amazonaws.com:5432`,
    port: 5432,
    arn: `arn:aws:rds:${ctx.region}:${AWS_ACCOUNT}:db:${String(inputs.identifier ?? name)}`,
    // DbiResourceId: "db-" and 26 upper-case alphanumerics.
    resourceId: `db-${hex(name, 26).toUpperCase()}`,
  }),
  "aws:s3/bucket:Bucket": (name, inputs) => ({ bucket: inputs.bucket ?? `${name}-${hex(name, 8)}` }),
  "aws:s3/bucketV2:BucketV2": (name, inputs) => ({ bucket: inputs.bucket ?? `${name}-${hex(name, 8)}` }),

  "gcp:container/cluster:Cluster": (name) => ({
    endpoint: `34.${parseInt(hex(name, 2), 16)}.10.2`,
    masterAuth: { clusterCaCertificate: FAKE_CA },
    selfLink: `https://container.googleapis.com/v1/projects/p/locations/l/clusters/${name}`,
  }),
  "gcp:serviceaccount/account:Account": (name, inputs, ctx) => {
    const project = String(inputs.project ?? ctx.gcpProject);
    const email = `${String(inputs.accountId ?? name)}@${project}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}`, uniqueId: hex(name, 21) };
  },
  "gcp:dns/managedZone:ManagedZone": (name) => ({
    nameServers: nameServers(`googledomains.com.${hex(name, 4)}`),
  }),
  "gcp:sql/databaseInstance:DatabaseInstance": (name, _i, ctx) => ({
    privateIpAddress: `10.${parseInt(hex(name, 2), 16)}.0.3`,
    connectionName: `${ctx.gcpProject}:${ctx.region}:${name}`,
    // The per-instance CA, as the Admin API lists it (PEM, not base64).
    serverCaCerts: [
      {
        cert: `-----BEGIN CERTIFICATE-----\nMIIcloudsql${hex(name, 16)}\n-----END CERTIFICATE-----`,
        commonName: `C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,dnQualifier=${hex(name, 12)}`,
        sha1Fingerprint: hex(`${name}ca`, 40),
      },
    ],
  }),
  "gcp:storage/bucket:Bucket": (name, inputs) => ({ url: `gs://${String(inputs.name ?? name)}` }),
  // Google-managed service agents (the identities KMS grants name): service-<project number>@<agent domain>.
  "gcp:projects/serviceIdentity:ServiceIdentity": (_name, inputs) => {
    const agents: Record<string, string> = {
      "container.googleapis.com": "container-engine-robot.iam.gserviceaccount.com",
      "secretmanager.googleapis.com": "gcp-sa-secretmanager.iam.gserviceaccount.com",
      "sqladmin.googleapis.com": "gcp-sa-cloud-sql.iam.gserviceaccount.com",
    };
    const service = String(inputs.service);
    const email = `service-123456789012@${agents[service] ?? `gcp-sa-${service.split(".")[0]}.iam.gserviceaccount.com`}`;
    return { email, member: `serviceAccount:${email}` };
  },

  "azure-native:containerservice:ManagedCluster": (name, _i, ctx) => ({
    fqdn: `${name}-${hex(name, 8)}.hcp.${ctx.region}.azmk8s.io`,
    privateFQDN: `${name}-${hex(name, 8)}.privatelink.${ctx.region}.azmk8s.io`,
    oidcIssuerProfile: {
      enabled: true,
      issuerURL: `https://${ctx.region}.oic.prod-aks.azure.com/${AZURE_TENANT}/${uuid(name)}/`,
    },
    identityProfile: {
      kubeletidentity: { clientId: uuid(`${name}kubelet`), objectId: uuid(`${name}kubeletobj`) },
    },
  }),
  "azure-native:managedidentity:UserAssignedIdentity": (name) => ({
    clientId: uuid(`${name}client`),
    principalId: uuid(`${name}principal`),
    tenantId: AZURE_TENANT,
  }),
  // A Standard static public IP is allocated on create; Azure's ranges include 20.0.0.0/8.
  "azure-native:network:PublicIPAddress": (name) => ({
    ipAddress: `20.${parseInt(hex(name, 2), 16)}.${parseInt(hex(`${name}ip`, 2), 16)}.10`,
  }),
  "azure-native:network:Zone": (name) => ({ nameServers: nameServers(`azure-dns.com.${hex(name, 4)}`) }),
  // azure-native v3 registers DNS zones under the dns module (network:Zone is only an alias).
  "azure-native:dns:Zone": (name) => ({ nameServers: nameServers(`azure-dns.com.${hex(name, 4)}`) }),
  "azure-native:keyvault:Vault": (name, inputs) => ({
    properties: {
      ...(inputs.properties as Outputs),
      vaultUri: `https://${String(inputs.vaultName ?? name)}.vault.azure.net/`,
    },
  }),
  "azure-native:dbforpostgresql:Server": (name, inputs, ctx) => ({
    fullyQualifiedDomainName: `${String(inputs.serverName ?? name)}.postgres.database.azure.com`,
    location: inputs.location ?? ctx.region,
  }),
};

/** Output names that hold the resource's cloud name, by provider, when the program did not set one. */
function defaults(type: string, name: string, inputs: Outputs, ctx: MockContext): Outputs {
  const [pkg] = type.split(":");
  const out: Outputs = { name: inputs.name ?? name };
  if (pkg === "aws") {
    const service = type.split(":")[1]?.split("/")[0] ?? "svc";
    out.arn = `arn:aws:${service}:${ctx.region}:${AWS_ACCOUNT}:${name}`;
  }
  if (pkg === "azure-native") {
    out.id = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/rg/providers/${type}/${name}`;
  }
  return out;
}

export function createMocks(ctx: MockContext, unmocked: Set<string>): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const inputs = args.inputs as Outputs;
      const extra = RESOURCES[args.type]?.(args.name, inputs, ctx) ?? {};
      const state = { ...defaults(args.type, args.name, inputs, ctx), ...inputs, ...extra };
      const id = args.type.startsWith("azure-native:")
        ? String(state.id)
        : `${args.name}-${hex(args.type + args.name, 8)}`;
      return { id, state };
    },
    call(args) {
      const answer = CALLS[args.token]?.(args.inputs as Outputs, ctx);
      if (!answer) {
        unmocked.add(args.token);
        return {};
      }
      return answer;
    },
  };
}

const CALLS: Record<string, (inputs: Outputs, ctx: MockContext) => Outputs> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, ctx) => ({
    names: ["a", "b", "c"].map((z) => `${ctx.region}${z}`),
    zoneIds: [1, 2, 3].map((n) => `use1-az${n}`),
    state: "available",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: AWS_ACCOUNT,
    arn: `arn:aws:iam::${AWS_ACCOUNT}:user/plan`,
    userId: "AIDAPLAN",
  }),
  "aws:index/getRegion:getRegion": (_i, ctx) => ({ name: ctx.region, region: ctx.region, id: ctx.region }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  "gcp:organizations/getClientConfig:getClientConfig": (_i, ctx) => ({
    project: ctx.gcpProject,
    region: ctx.region,
    zone: `${ctx.region}-a`,
    accessToken: "plan-token",
  }),
  "gcp:organizations/getProject:getProject": (_i, ctx) => ({
    projectId: ctx.gcpProject,
    number: "123456789012",
  }),
  "gcp:compute/getZones:getZones": (_i, ctx) => ({ names: ["a", "b", "c"].map((z) => `${ctx.region}-${z}`) }),
  // AKS issues a kubeconfig (base64) naming the API server and its CA; the layer re-uses both with kubelogin.
  "azure-native:containerservice:listManagedClusterUserCredentials": (inputs, ctx) => {
    const name = String(inputs.resourceName);
    const server = `https://${name}-${hex(name, 8)}.hcp.${ctx.region}.azmk8s.io:443`;
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: ${name}`,
      "  cluster:",
      `    server: ${server}`,
      `    certificate-authority-data: ${FAKE_CA}`,
      `current-context: ${name}`,
      "",
    ].join("\n");
    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
  },
  "azure-native:authorization:getClientConfig": () => ({
    clientId: uuid("client"),
    objectId: uuid("object"),
    subscriptionId: AZURE_SUBSCRIPTION,
    tenantId: AZURE_TENANT,
  }),
};
