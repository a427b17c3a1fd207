/**
 * The GCP cloud layer as planned under mocks: what prod and dev stacks ask Google Cloud for, checked
 * on the security- and availability-relevant inputs, and the kubeconfig that reaches the kubernetes Provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cloudSqlTierProblem } from "../../infra/cloud/sizes.ts";
import { CONTRACTS } from "../../services/services.ts";
import { SERVICE_ACCOUNTS } from "../../infra/names.ts";
import { type Plan, planStack } from "../helpers/plan.ts";
import {
  cloudFindings,
  expectNoMetricsServer,
  expectNodeScrapesByEntity,
  cloudResources,
  commonTags,
  isSecret,
  kubernetesProvider,
} from "./cloud-plan.ts";

const T = {
  provider: "pulumi:providers:gcp",
  api: "gcp:projects/service:Service",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  nat: "gcp:compute/routerNat:RouterNat",
  privateRange: "gcp:compute/globalAddress:GlobalAddress",
  peering: "gcp:servicenetworking/connection:Connection",
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
  key: "gcp:kms/cryptoKey:CryptoKey",
  keyGrant: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  account: "gcp:serviceaccount/account:Account",
  wiBinding: "gcp:serviceaccount/iAMMember:IAMMember",
  projectRole: "gcp:projects/iAMMember:IAMMember",
  zone: "gcp:dns/managedZone:ManagedZone",
  zoneRole: "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
  secret: "gcp:secretmanager/secret:Secret",
  secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
  secretRole: "gcp:secretmanager/secretIamMember:SecretIamMember",
  firewall: "gcp:compute/firewall:Firewall",
  sql: "gcp:sql/databaseInstance:DatabaseInstance",
  sqlUser: "gcp:sql/user:User",
  bucket: "gcp:storage/bucket:Bucket",
  bucketRole: "gcp:storage/bucketIAMMember:BucketIAMMember",
} as const;

/** Where each labelled type keeps its labels. */
const LABELS: Record<string, (inputs: any) => unknown> = {
  [T.cluster]: (i) => i.resourceLabels,
  [T.nodePool]: (i) => i.nodeConfig.resourceLabels,
  [T.sql]: (i) => i.settings.userLabels,
  [T.secret]: (i) => i.labels,
  [T.zone]: (i) => i.labels,
  [T.bucket]: (i) => i.labels,
  [T.key]: (i) => i.labels,
  [T.privateRange]: (i) => i.labels,
};

let prod: Plan;
let dev: Plan;
beforeAll(() => {
  prod = planStack("prod", { cloud: "gcp" });
  // Dev also proves the private-only API endpoint when no CIDR is allowed.
  dev = planStack("dev", { cloud: "gcp", apiAllowedCidrs: "[]" });
});

/** The Workload Identity binding of a Kubernetes ServiceAccount, and the Google account it impersonates. */
function wiAccount(plan: Plan, sa: { namespace: string; name: string }) {
  const member = `serviceAccount:acme-llmops-${plan.inventory.stack}.svc.id.goog[${sa.namespace}/${sa.name}]`;
  const bindings = plan.ofType(T.wiBinding).filter((b) => b.inputs.member === member);
  expect(bindings, member).toHaveLength(1);
  expect(bindings[0]!.inputs.role).toBe("roles/iam.workloadIdentityUser");
  const account = plan
    .ofType(T.account)
    .find((a) => bindings[0]!.inputs.serviceAccountId.startsWith(`${a.name}-`));
  expect(account, member).toBeDefined();
  return account!;
}
const emailOf = (plan: Plan, account: { inputs: Record<string, any> }) =>
  `${account.inputs.accountId}@acme-llmops-${plan.inventory.stack}.iam.gserviceaccount.com`;

describe("gcp: explicit provider, APIs and labels", () => {
  it("uses one gcp Provider with config.gcp.project and the region, for every resource", () => {
    expect(prod.one(T.provider).inputs).toMatchObject({ project: "acme-llmops-prod", region: "us-central1" });
    for (const r of cloudResources(prod, "gcp"))
      expect(r.provider, r.urn).toContain("pulumi:providers:gcp::");
  });

  it("enables the APIs it uses and never disables them on destroy", () => {
    const apis = prod.ofType(T.api).map((a) => a.inputs.service);
    expect(apis).toEqual(
      expect.arrayContaining([
        "container.googleapis.com",
        "sqladmin.googleapis.com",
        "secretmanager.googleapis.com",
      ]),
    );
    for (const a of prod.ofType(T.api)) expect(a.inputs.disableOnDestroy).toBe(false);
  });

  it.each(["prod", "dev"])(
    "%s: labels project, environment and stack on every labelled resource",
    (stack) => {
      const plan = stack === "prod" ? prod : dev;
      // Stack-file tags (prod sets cost-center) ride along with project, environment and stack.
      const labels = commonTags(plan, stack === "prod" ? { "cost-center": "ml-platform" } : {});
      const labelled = cloudResources(plan, "gcp").filter((r) => LABELS[r.type]);
      expect(labelled.length).toBeGreaterThan(10);
      for (const r of labelled) expect(LABELS[r.type]!(r.inputs), r.urn).toMatchObject(labels);
    },
  );
});

describe("gcp network: VPC-native, private, NAT egress", () => {
  it("carves node, pod and service ranges from vpcCidr with Private Google Access", () => {
    const subnet = prod.one(T.subnet).inputs;
    expect(subnet).toMatchObject({
      ipCidrRange: "10.50.0.0/20",
      privateIpGoogleAccess: true,
      region: "us-central1",
    });
    expect(subnet.secondaryIpRanges).toEqual([
      { rangeName: "pods", ipCidrRange: "10.50.128.0/17" },
      { rangeName: "services", ipCidrRange: "10.50.16.0/20" },
    ]);
    expect(prod.one(T.network).inputs.autoCreateSubnetworks).toBe(false);
  });

  it("gives nodes egress through Cloud NAT only", () => {
    expect(prod.one(T.nat).inputs).toMatchObject({
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
    });
  });

  it("reserves a private services range and peers it for Cloud SQL", () => {
    expect(prod.one(T.privateRange).inputs).toMatchObject({
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address: "10.50.48.0",
      prefixLength: 20,
    });
    expect(prod.one(T.peering).inputs.service).toBe("servicenetworking.googleapis.com");
  });
});

describe("gcp GKE: private, regional in prod, Workload Identity, Dataplane V2", () => {
  it("prod is regional over 3 zones on the STABLE channel, deletion protected", () => {
    expect(prod.one(T.cluster).inputs).toMatchObject({
      location: "us-central1",
      nodeLocations: ["us-central1-a", "us-central1-b", "us-central1-c"],
      minMasterVersion: "1.34",
      releaseChannel: { channel: "STABLE" },
      deletionProtection: true,
    });
  });

  it("dev is zonal and cheaper", () => {
    const cluster = dev.one(T.cluster).inputs;
    expect(cluster.location).toBe("us-central1-a");
    expect(cluster.nodeLocations).toBeUndefined();
    expect(cluster.deletionProtection).toBe(false);
    expect(dev.one(T.nodePool).inputs.nodeConfig).toMatchObject({ machineType: "n2-standard-4", spot: true });
  });

  it("keeps nodes private; the public endpoint admits only apiAllowedCidrs", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.privateClusterConfig).toMatchObject({
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
    });
    expect(cluster.masterAuthorizedNetworksConfig).toEqual({
      cidrBlocks: [
        { cidrBlock: "203.0.113.0/24", displayName: "allowed 203.0.113.0/24" },
        { cidrBlock: "198.51.100.0/24", displayName: "allowed 198.51.100.0/24" },
      ],
      gcpPublicCidrsAccessEnabled: false,
    });
  });

  it("lets the control plane reach every webhook port the namespaces open to the API server", () => {
    // GKE's own rule admits 443 and 10250 only; the rest need this one (istiod's injector fails closed).
    const rule = prod.one(T.firewall).inputs;
    expect(rule).toMatchObject({
      direction: "INGRESS",
      sourceRanges: [prod.one(T.cluster).inputs.privateClusterConfig.masterIpv4CidrBlock],
      targetTags: ["llmops-prod-node"],
      allows: [{ protocol: "tcp", ports: ["6443", "8443", "9443", "15017"] }],
    });
    for (const pool of prod.ofType(T.nodePool))
      expect(pool.inputs.nodeConfig.tags).toEqual(["llmops-prod-node"]);
    const reachable = new Set([443, 10250, ...rule.allows[0].ports.map(Number)]);
    // On GKE the namespaces admit the API server from the control plane's /28 only, not from any pod.
    const master = prod.one(T.cluster).inputs.privateClusterConfig.masterIpv4CidrBlock;
    const rules = prod.objects("NetworkPolicy").flatMap((p) => p.spec.ingress ?? []);
    expect(rules.filter((rule: any) => !rule.from)).toEqual([]);
    const apiServerPorts = rules
      .filter((rule: any) => JSON.stringify(rule.from) === JSON.stringify([{ ipBlock: { cidr: master } }]))
      .flatMap((rule: any) => rule.ports.map((p: any) => p.port));
    expect(apiServerPorts).toEqual(expect.arrayContaining([15017, 8443, 9443, 6443]));
    for (const port of apiServerPorts) expect(reachable, `port ${port}`).toContain(port);
  });

  it("runs NodeLocal DNSCache, and every default-deny namespace may reach it for DNS", () => {
    expect(prod.one(T.cluster).inputs.addonsConfig.dnsCacheConfig).toEqual({ enabled: true });
    const dnsPolicies = prod.objects("NetworkPolicy", "allow-dns");
    expect(dnsPolicies.length).toBeGreaterThan(5);
    for (const p of dnsPolicies) {
      const [rule] = p.spec.egress;
      expect(rule.ports).toEqual([
        { port: 53, protocol: "UDP" },
        { port: 53, protocol: "TCP" },
      ]);
      // cert-manager asks any resolver (no `to`); everyone else names the cluster's DNS, cache included.
      if (!rule.to) continue;
      expect(rule.to, p.metadata.namespace).toEqual(
        expect.arrayContaining([
          { ipBlock: { cidr: "169.254.20.10/32" } },
          expect.objectContaining({ podSelector: { matchLabels: { "k8s-app": "node-local-dns" } } }),
          expect.objectContaining({ podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }),
        ]),
      );
    }
  });

  it("with no allowed CIDRs the control plane has a private endpoint only", () => {
    expect(dev.one(T.cluster).inputs.privateClusterConfig).toMatchObject({
      enablePrivateNodes: true,
      enablePrivateEndpoint: true,
    });
    expect(dev.one(T.cluster).inputs.masterAuthorizedNetworksConfig.cidrBlocks).toEqual([]);
  });

  it("enables Workload Identity, Dataplane V2, shielded nodes and KMS-encrypted Secrets", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.workloadIdentityConfig).toEqual({ workloadPool: "acme-llmops-prod.svc.id.goog" });
    expect(cluster.datapathProvider).toBe("ADVANCED_DATAPATH");
    expect(cluster.enableShieldedNodes).toBe(true);
    expect(cluster.databaseEncryption).toEqual({
      state: "ENCRYPTED",
      keyName: expect.stringMatching(/^llmops-prod-cluster-/),
    });
    expect(cluster.loggingConfig.enableComponents).toContain("APISERVER");
    expect(cluster.masterAuth.clientCertificateConfig.issueClientCertificate).toBe(false);
    expect(prod.one(T.key, "llmops-prod-cluster").inputs.rotationPeriod).toBe("7776000s");
  });

  it("lets the GKE service agent use the cluster key before the cluster is created", () => {
    const grant = prod.one(T.keyGrant, "llmops-prod-gke-cluster-key");
    expect(grant.inputs.member).toMatch(/@container-engine-robot\.iam\.gserviceaccount\.com$/);
    expect(prod.one(T.cluster).dependsOn).toContain(grant.urn);
  });

  it("sizes node pools from config, with shielded, metadata-concealed nodes on a least-privilege account", () => {
    const pools: Record<string, any> = Object.fromEntries(
      prod.ofType(T.nodePool).map((p) => [p.inputs.name, p.inputs]),
    );
    expect(pools.system).toMatchObject({
      autoscaling: { totalMinNodeCount: 3, totalMaxNodeCount: 6 },
      nodeConfig: { machineType: "n2-standard-8", spot: false, labels: { "llmops.io/pool-role": "system" } },
    });
    expect(pools.workload!.nodeConfig.machineType).toBe("n2-standard-16");
    for (const pool of Object.values(pools)) {
      expect(pool.nodeConfig).toMatchObject({
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        serviceAccount: "llmops-prod-nodes@acme-llmops-prod.iam.gserviceaccount.com",
      });
    }
    const nodeRoles = prod.ofType(T.projectRole).filter((r) => r.name.startsWith("llmops-prod-nodes-"));
    expect(nodeRoles.map((r) => r.inputs.role)).not.toContain("roles/editor");
  });
});

describe("gcp identities: Workload Identity per consumer, scoped grants", () => {
  it.each(Object.entries(SERVICE_ACCOUNTS))("%s impersonates its own Google service account", (_, sa) => {
    wiAccount(prod, sa);
  });

  it("gives external-dns and cert-manager DNS admin on the stack's zone only", () => {
    for (const sa of [SERVICE_ACCOUNTS.externalDns, SERVICE_ACCOUNTS.certManager]) {
      const email = emailOf(prod, wiAccount(prod, sa));
      const grants = prod.ofType(T.zoneRole).filter((g) => g.inputs.member === `serviceAccount:${email}`);
      expect(grants.map((g) => [g.inputs.managedZone, g.inputs.role])).toEqual([
        ["llmops-prod-zone", "roles/dns.admin"],
      ]);
      const projectWide = prod
        .ofType(T.projectRole)
        .filter((r) => r.inputs.member === `serviceAccount:${email}`);
      for (const r of projectWide) expect(r.inputs.role).toBe("roles/dns.reader");
    }
  });

  it("gives external-secrets accessor on each of the stack's secrets, nothing project-wide", () => {
    const member = `serviceAccount:${emailOf(prod, wiAccount(prod, SERVICE_ACCOUNTS.externalSecrets))}`;
    const grants = prod.ofType(T.secretRole).filter((g) => g.inputs.member === member);
    expect(grants).toHaveLength(prod.ofType(T.secret).length);
    for (const g of grants) expect(g.inputs.role).toBe("roles/secretmanager.secretAccessor");
    expect(prod.ofType(T.projectRole).filter((r) => r.inputs.member === member)).toEqual([]);
  });
});

describe("gcp DNS zone", () => {
  it("hosts config.domain publicly with DNSSEC", () => {
    expect(prod.one(T.zone).inputs).toMatchObject({
      dnsName: "llm.example.com.",
      visibility: "public",
      dnssecConfig: { state: "on" },
      forceDestroy: false,
    });
    expect(dev.one(T.zone).inputs).toMatchObject({ dnsName: "dev.llm.example.com.", forceDestroy: true });
  });

  it("is the zone cert-manager solves DNS-01 challenges in (cloudDNS solver, ambient Workload Identity)", () => {
    const issuer = prod.objects("ClusterIssuer", "letsencrypt-prod")[0];
    const dns01 = issuer.spec.acme.solvers.find((s: any) => s.dns01).dns01;
    expect(dns01).toEqual({ cloudDNS: { project: "acme-llmops-prod", hostedZoneName: "llmops-prod-zone" } });
  });
});

describe("gcp secret store: Secret Manager under a customer key", () => {
  it("stores Postgres, each LLM provider key, alerting, client and admin keys, Grafana's OIDC client secret", () => {
    expect(prod.ofType(T.secret).map((s) => s.inputs.secretId)).toEqual([
      "llmops-prod-postgres",
      "llmops-prod-llm-openai",
      "llmops-prod-llm-anthropic",
      "llmops-prod-alerting",
      "llmops-prod-client-api-keys",
      "llmops-prod-admin-api-keys",
      "llmops-prod-grafana-oidc",
    ]);
  });

  it("replicates each entry in the stack's region only, encrypted with the rotating data key", () => {
    for (const s of prod.ofType(T.secret)) {
      expect(s.inputs.replication).toEqual({
        userManaged: {
          replicas: [
            {
              location: "us-central1",
              customerManagedEncryption: { kmsKeyName: expect.stringMatching(/^llmops-prod-data-/) },
            },
          ],
        },
      });
    }
    expect(prod.one(T.key, "llmops-prod-data").inputs.rotationPeriod).toBe("7776000s");
    const agent = prod.one(T.keyGrant, "llmops-prod-secretmanager-data-key");
    expect(agent.inputs.member).toMatch(/@gcp-sa-secretmanager\.iam\.gserviceaccount\.com$/);
  });

  it("writes every value as a secret", () => {
    for (const v of prod.ofType(T.secretVersion)) expect(isSecret(v.inputs.secretData), v.name).toBe(true);
  });
});

describe("gcp ClusterSecretStore", () => {
  it("reads the stack project's Secret Manager with the controller's Workload Identity (no key file)", () => {
    expect(prod.objects("ClusterSecretStore")[0].spec.provider).toEqual({
      gcpsm: { projectID: "acme-llmops-prod" },
    });
  });
});

describe("gcp Postgres: Cloud SQL", () => {
  it("asks for tiers Cloud SQL accepts (custom tiers hold 0.9 to 6.5 GB per vCPU)", () => {
    for (const plan of [prod, dev]) {
      const tier: string = plan.one(T.sql).inputs.settings.tier;
      expect(cloudSqlTierProblem(tier), tier).toBeUndefined();
    }
    // 2 vCPU is the same class as RDS and Azure prod; 13 GB is as much memory as 2 vCPU may have.
    expect(prod.one(T.sql).inputs.settings.tier).toBe("db-custom-2-13312");
  });

  it("prod: private IP only, TLS only, CMEK, REGIONAL, 14 daily backups with PITR, deletion protected", () => {
    const sql = prod.one(T.sql).inputs;
    expect(sql).toMatchObject({
      databaseVersion: "POSTGRES_16",
      encryptionKeyName: expect.stringMatching(/^llmops-prod-data-/),
      deletionProtection: true,
      settings: {
        tier: "db-custom-2-13312",
        availabilityType: "REGIONAL",
        deletionProtectionEnabled: true,
        diskSize: 200,
        ipConfiguration: {
          ipv4Enabled: false,
          sslMode: "ENCRYPTED_ONLY",
          // A CA of this instance alone: what makes the services' verify-ca an identity check.
          serverCaMode: "GOOGLE_MANAGED_INTERNAL_CA",
          privateNetwork: expect.any(String),
        },
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          backupRetentionSettings: { retainedBackups: 14, retentionUnit: "COUNT" },
        },
      },
    });
    expect(prod.one(T.sql).dependsOn).toContain(prod.one(T.peering).urn);
    expect(isSecret(prod.one(T.sqlUser, "llmops-prod-postgres").inputs.password)).toBe(true);
  });

  it("dev: small zonal instance, still private with 7 days of backups", () => {
    expect(dev.one(T.sql).inputs).toMatchObject({
      deletionProtection: false,
      settings: {
        tier: "db-custom-1-3840",
        availabilityType: "ZONAL",
        ipConfiguration: { ipv4Enabled: false },
        backupConfiguration: { enabled: true, backupRetentionSettings: { retainedBackups: 7 } },
      },
    });
  });
});

describe("gcp Postgres: each Postgres user logs in as its Google service account (Cloud SQL IAM database authentication)", () => {
  const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);

  it("the instance accepts IAM logins (cloudsql.iam_authentication)", () => {
    for (const plan of [prod, dev])
      expect(plan.one(T.sql).inputs.settings.databaseFlags).toContainEqual({
        name: "cloudsql.iam_authentication",
        value: "on",
      });
  });

  it.each(USERS)(
    "%s: a Google service account its ServiceAccount impersonates, an IAM user of that name, and login rights on this instance only",
    (s) => {
      for (const plan of [prod, dev]) {
        const account = wiAccount(plan, { namespace: "llmops", name: s });
        const email = emailOf(plan, account);
        const instance = plan.one(T.sql).inputs.name;
        // Cloud SQL names a service account's IAM user by its email without ".gserviceaccount.com".
        const users = plan.ofType(T.sqlUser).filter((u) => u.inputs.type === "CLOUD_IAM_SERVICE_ACCOUNT");
        expect(users.filter((u) => u.name === account.name).map((u) => u.inputs)).toEqual([
          {
            name: email.replace(/\.gserviceaccount\.com$/, ""),
            project: `acme-llmops-${plan.inventory.stack}`,
            instance,
            type: "CLOUD_IAM_SERVICE_ACCOUNT",
          },
        ]);
        // instanceUser (cloudsql.instances.login) is what a direct connection needs: no
        // cloudsql.client (the Auth Proxy's), and nothing else project-wide.
        const grants = plan
          .ofType(T.projectRole)
          .filter((r) => r.inputs.member === `serviceAccount:${email}`);
        expect(grants.map((g) => g.inputs)).toEqual([
          {
            project: `acme-llmops-${plan.inventory.stack}`,
            role: "roles/cloudsql.instanceUser",
            member: `serviceAccount:${email}`,
            condition: {
              title: expect.any(String),
              expression: `resource.name == 'projects/acme-llmops-${plan.inventory.stack}/instances/${instance}' && resource.type == 'sqladmin.googleapis.com/Instance'`,
            },
          },
        ]);
      }
    },
  );

  it("IAM users for the Postgres users only; the admin keeps its password, nobody else has one", () => {
    const users = prod.ofType(T.sqlUser);
    expect(users.filter((u) => u.inputs.type === "CLOUD_IAM_SERVICE_ACCOUNT")).toHaveLength(USERS.length);
    const builtIn = users.filter((u) => u.inputs.type === undefined);
    expect(builtIn.map((u) => u.inputs.name)).toEqual(["llmops"]);
    for (const u of users.filter((x) => x.inputs.type)) expect(u.inputs.password).toBeUndefined();
  });
});

describe("gcp log storage", () => {
  it("prod: private uniform-access buckets for Loki, written only by Loki's identity; dev: none", () => {
    const buckets = prod.ofType(T.bucket).filter((b) => b.name.includes("-loki-"));
    expect(buckets).toHaveLength(2);
    for (const b of buckets) {
      expect(b.inputs).toMatchObject({
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        location: "us-central1",
      });
    }
    const loki = `serviceAccount:${emailOf(prod, wiAccount(prod, SERVICE_ACCOUNTS.loki))}`;
    expect(
      prod
        .ofType(T.bucketRole)
        .filter((g) => g.name.includes("-loki-"))
        .map((g) => g.inputs.member),
    ).toEqual([loki, loki]);
    expect(dev.ofType(T.bucket)).toHaveLength(0);
  });
});

describe("gcp backup storage (Velero)", () => {
  it("prod: a private, versioned bucket written only by Velero's Workload Identity, which may sign URLs as itself; dev: none", () => {
    const [bucket, ...more] = prod.ofType(T.bucket).filter((b) => b.name.includes("-velero"));
    expect(more).toEqual([]);
    expect(bucket!.inputs).toMatchObject({
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: false,
    });
    expect(bucket!.inputs.lifecycleRules[0].condition.age).toBe(37);
    const account = wiAccount(prod, SERVICE_ACCOUNTS.velero);
    const member = `serviceAccount:${emailOf(prod, account)}`;
    const grants = prod.ofType(T.bucketRole).filter((g) => g.name.includes("-velero"));
    expect(grants.map((g) => [g.inputs.role, g.inputs.member])).toEqual([
      ["roles/storage.objectAdmin", member],
    ]);
    const signer = prod.ofType(T.wiBinding).find((b) => b.name.endsWith("-velero-signer"))!;
    expect(signer.inputs).toMatchObject({ role: "roles/iam.serviceAccountTokenCreator", member });
    expect(dev.ofType(T.bucket).filter((b) => b.name.includes("-velero"))).toHaveLength(0);
  });
});

describe("gcp kubeconfig reaches the kubernetes Provider", () => {
  // Its contents (exec plugin, server and CA from the cluster outputs) are checked in cloud-outputs.test.ts.
  it("receives the kubeconfig as a secret, once the node pools and the webhook firewall rule exist", () => {
    const provider = kubernetesProvider(prod);
    for (const r of [...prod.ofType(T.nodePool), prod.one(T.firewall)])
      expect(provider.dependsOn).toContain(r.urn);
  });

  it("is the provider of every Kubernetes resource the platform and apps declare", () => {
    const provider = kubernetesProvider(prod);
    const k8s = prod.inventory.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(0);
    for (const r of k8s) expect(r.provider, r.urn).toBe(provider.urn);
  });
});

describe("gcp: the policy pack's view", () => {
  it("prod: no finding on any cloud resource", () => {
    expect(cloudFindings(prod)).toEqual([]);
  });

  it("dev: the cheaper shape shows only as advisory availability findings", () => {
    const findings = cloudFindings(dev);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.enforcement, f.rule).toBe("advisory");
      expect(["postgres-ha", "gcp-gke-regional"]).toContain(f.rule);
    }
  });
});

describe("gcp: what the managed cluster brings, as cloud-layer facts", () => {
  it("GKE Dataplane V2: Prometheus reaches kubelets and node-exporter by Cilium entity, in the cluster-wide kind (the only Cilium policy GKE serves)", async () => {
    await expectNodeScrapesByEntity(prod, "CiliumClusterwideNetworkPolicy");
    await expectNodeScrapesByEntity(dev, "CiliumClusterwideNetworkPolicy");
  });

  it("the cluster serves CiliumClusterwideNetworkPolicy: Dataplane V2 installs that CRD only when enabled", () => {
    for (const plan of [prod, dev]) {
      const cluster = plan.one(T.cluster);
      expect(cluster.inputs.datapathProvider).toBe("ADVANCED_DATAPATH");
      expect(cluster.inputs.enableCiliumClusterwideNetworkPolicy).toBe(true);
    }
  });

  it("metrics-server comes with the cluster: none installed", () => {
    expectNoMetricsServer(prod);
    expectNoMetricsServer(dev);
  });
});
