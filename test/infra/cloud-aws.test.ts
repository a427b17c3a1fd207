/**
 * The AWS cloud layer as planned under mocks: what prod and dev stacks ask AWS for, checked on the
 * security- and availability-relevant inputs, and the kubeconfig that reaches the kubernetes Provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { postgresRole } from "../../services/shared/src/contract.ts";
import { CONTRACTS } from "../../services/services.ts";
import { SERVICE_ACCOUNTS } from "../../infra/names.ts";
import { type Plan, planStack } from "../helpers/plan.ts";
import { cloudFindings, cloudResources, commonTags, isSecret, kubernetesProvider } from "./cloud-plan.ts";

const T = {
  provider: "pulumi:providers:aws",
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  routeTable: "aws:ec2/routeTable:RouteTable",
  cluster: "aws:eks/cluster:Cluster",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  addon: "aws:eks/addon:Addon",
  accessEntry: "aws:eks/accessEntry:AccessEntry",
  accessPolicy: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  oidc: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  key: "aws:kms/key:Key",
  zone: "aws:route53/zone:Zone",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  db: "aws:rds/instance:Instance",
  dbFirewall: "aws:ec2/securityGroup:SecurityGroup",
  dbParameters: "aws:rds/parameterGroup:ParameterGroup",
  bucket: "aws:s3/bucket:Bucket",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPublicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
} as const;

/** AWS resource types without a tags argument. */
const UNTAGGABLE = new Set([
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:kms/alias:Alias",
  T.secretVersion,
  T.bucketEncryption,
  T.bucketPublicAccess,
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
]);

let prod: Plan;
let dev: Plan;
beforeAll(() => {
  prod = planStack("prod", { cloud: "aws" });
  // Dev also proves the private-only API endpoint when no CIDR is allowed.
  dev = planStack("dev", { cloud: "aws", apiAllowedCidrs: "[]" });
});

const byName = (plan: Plan, type: string, fragment: string) =>
  plan.ofType(type).filter((r) => r.name.includes(fragment));
const trustOf = (role: { inputs: Record<string, any> }) => JSON.parse(role.inputs.assumeRolePolicy);
/** The IRSA role trusted by exactly this ServiceAccount. */
function irsaRole(plan: Plan, sa: { namespace: string; name: string }) {
  const subject = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const roles = plan.ofType(T.role).filter((r) => JSON.stringify(trustOf(r)).includes(`"${subject}"`));
  expect(roles, subject).toHaveLength(1);
  return roles[0]!;
}

describe("aws: every resource goes through the explicit provider and carries the stack tags", () => {
  it("uses one aws Provider with the stack's region", () => {
    const provider = prod.one(T.provider);
    expect(provider.inputs.region).toBe("us-east-1");
    for (const r of cloudResources(prod, "aws"))
      expect(r.provider, r.urn).toContain("pulumi:providers:aws::");
  });

  it.each(["prod", "dev"])("%s: tags project, environment and stack on every taggable resource", (stack) => {
    const plan = stack === "prod" ? prod : dev;
    // Stack-file tags (prod sets cost-center) ride along with project, environment and stack.
    const tags = commonTags(plan, stack === "prod" ? { "cost-center": "ml-platform" } : {});
    const taggable = cloudResources(plan, "aws").filter((r) => !UNTAGGABLE.has(r.type));
    expect(taggable.length).toBeGreaterThan(30);
    for (const r of taggable) expect(r.inputs.tags, r.urn).toMatchObject(tags);
  });
});

describe("aws network: private nodes over the zones the environment needs", () => {
  it("prod spans 3 zones with one NAT per zone; dev 2 zones behind one NAT", () => {
    const privateOf = (plan: Plan) => byName(plan, T.subnet, "-private-");
    expect(new Set(privateOf(prod).map((s) => s.inputs.availabilityZone))).toEqual(
      new Set(["us-east-1a", "us-east-1b", "us-east-1c"]),
    );
    expect(prod.ofType(T.nat)).toHaveLength(3);
    expect(privateOf(dev)).toHaveLength(2);
    expect(dev.ofType(T.nat)).toHaveLength(1);
  });

  it("carves subnets from vpcCidr and never assigns public IPs on launch", () => {
    expect(prod.one(T.vpc).inputs.cidrBlock).toBe("10.50.0.0/16");
    expect(byName(prod, T.subnet, "-private-").map((s) => s.inputs.cidrBlock)).toEqual([
      "10.50.0.0/19",
      "10.50.32.0/19",
      "10.50.64.0/19",
    ]);
    for (const s of prod.ofType(T.subnet)) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
  });

  it("records all VPC traffic in flow logs", () => {
    expect(prod.one("aws:ec2/flowLog:FlowLog").inputs).toMatchObject({
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      vpcId: expect.stringMatching(/^llmops-prod-vpc-/),
    });
  });

  it("routes private subnets to the internet only through NAT", () => {
    for (const rt of byName(prod, T.routeTable, "-private-")) {
      expect(rt.inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: expect.any(String) }]);
    }
  });
});

describe("aws EKS: hardened control plane", () => {
  it("logs every control-plane log type and envelope-encrypts Secrets with a rotating customer key", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.enabledClusterLogTypes).toEqual([
      "api",
      "audit",
      "authenticator",
      "controllerManager",
      "scheduler",
    ]);
    expect(cluster.encryptionConfig.resources).toEqual(["secrets"]);
    const key = prod.ofType(T.key).find((k) => cluster.encryptionConfig.provider.keyArn.endsWith(k.name));
    expect(key?.inputs.enableKeyRotation).toBe(true);
    // ...and the cluster role may use that key (EKS calls KMS as the cluster role).
    const use = JSON.parse(prod.one(T.rolePolicy, "llmops-prod-cluster-kms").inputs.policy).Statement[0];
    expect(use.Resource).toEqual([cluster.encryptionConfig.provider.keyArn]);
    expect(use.Action).toEqual(expect.arrayContaining(["kms:Encrypt", "kms:Decrypt"]));
  });

  it("prod: private endpoint plus a public one restricted to apiAllowedCidrs, deletion protected", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.version).toBe("1.34");
    expect(cluster.vpcConfig).toMatchObject({
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24", "198.51.100.0/24"],
    });
    expect(cluster.deletionProtection).toBe(true);
    expect(cluster.accessConfig.authenticationMode).toBe("API");
  });

  it("dev with no allowed CIDRs: private endpoint only", () => {
    const vpc = dev.one(T.cluster).inputs.vpcConfig;
    expect(vpc.endpointPublicAccess).toBe(false);
    expect(vpc.endpointPrivateAccess).toBe(true);
    expect(vpc.publicAccessCidrs).toBeUndefined();
    expect(dev.one(T.cluster).inputs.deletionProtection).toBe(false);
  });

  it("runs the control plane and nodes in the private subnets only", () => {
    const privateIds = new Set(byName(prod, T.subnet, "-private-").map((s) => s.urn.split("::").pop()));
    const inPrivate = (ids: string[]) =>
      ids.every((id) => [...privateIds].some((n) => id.startsWith(`${n}-`)));
    expect(inPrivate(prod.one(T.cluster).inputs.vpcConfig.subnetIds)).toBe(true);
    for (const ng of prod.ofType(T.nodeGroup)) expect(inPrivate(ng.inputs.subnetIds), ng.name).toBe(true);
  });

  it("sizes managed node groups from the config's pools and size classes", () => {
    const pools = Object.fromEntries(prod.ofType(T.nodeGroup).map((n) => [n.name, n.inputs]));
    expect(pools["llmops-prod-system"]).toMatchObject({
      instanceTypes: ["m7i.2xlarge"],
      capacityType: "ON_DEMAND",
      scalingConfig: { minSize: 3, maxSize: 6, desiredSize: 3 },
      labels: { "llmops.io/pool-role": "system" },
    });
    expect(pools["llmops-prod-workload"]).toMatchObject({
      instanceTypes: ["m7i.4xlarge"],
      scalingConfig: { minSize: 3, maxSize: 24 },
    });
    expect(dev.one(T.nodeGroup).inputs).toMatchObject({
      instanceTypes: ["m7i.xlarge"],
      capacityType: "SPOT",
    });
  });

  it("requires IMDSv2 with one hop on nodes, so pods cannot borrow the node role", () => {
    expect(prod.one(T.launchTemplate).inputs.metadataOptions).toMatchObject({
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
  });

  it("installs the VPC CNI with network policy, CoreDNS, kube-proxy and the EBS CSI driver on IRSA", () => {
    const addons = Object.fromEntries(prod.ofType(T.addon).map((a) => [a.inputs.addonName, a.inputs]));
    expect(Object.keys(addons).sort()).toEqual([
      "aws-ebs-csi-driver",
      "coredns",
      "kube-proxy",
      "snapshot-controller",
      "vpc-cni",
    ]);
    expect(JSON.parse(addons["vpc-cni"]!.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
    const ebsRole = irsaRole(prod, { namespace: "kube-system", name: "ebs-csi-controller-sa" });
    expect(addons["aws-ebs-csi-driver"]!.serviceAccountRoleArn).toContain(ebsRole.name);
  });

  it("grants config.aws.adminRoleArns cluster-admin through access entries", () => {
    const arn = "arn:aws:iam::123456789012:role/platform-admins";
    expect(prod.one(T.accessEntry).inputs).toMatchObject({ principalArn: arn, type: "STANDARD" });
    expect(prod.one(T.accessPolicy).inputs).toMatchObject({
      principalArn: arn,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
    expect(dev.ofType(T.accessEntry)).toHaveLength(0);
  });

  it("registers the cluster's OIDC issuer for IRSA", () => {
    const oidc = prod.one(T.oidc).inputs;
    expect(oidc.url).toMatch(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    expect(oidc.clientIdLists).toEqual(["sts.amazonaws.com"]);
  });
});

describe("aws identities: one IRSA role per in-cluster consumer, scoped to its resources", () => {
  it.each(Object.entries(SERVICE_ACCOUNTS))("%s is assumable only by its ServiceAccount", (_, sa) => {
    const statement = trustOf(irsaRole(prod, sa)).Statement[0];
    expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
    const conditions = Object.entries(statement.Condition.StringEquals);
    expect(conditions).toContainEqual([
      expect.stringMatching(/:sub$/),
      `system:serviceaccount:${sa.namespace}:${sa.name}`,
    ]);
    expect(conditions).toContainEqual([expect.stringMatching(/:aud$/), "sts.amazonaws.com"]);
  });

  it("lets cert-manager write only TXT records, and only in the stack's zone", () => {
    const policy = JSON.parse(prod.one(T.rolePolicy, "llmops-prod-cert-manager").inputs.policy);
    const write = policy.Statement.find((s: any) => s.Action.includes("route53:ChangeResourceRecordSets"));
    expect(write.Resource).toEqual([expect.stringMatching(/^arn:aws:route53:::hostedzone\/Z[0-9A-F]{20}$/)]);
    expect(
      write.Condition["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsRecordTypes"],
    ).toEqual(["TXT"]);
  });

  it("lets external-secrets read exactly the stack's secrets", () => {
    const policy = JSON.parse(prod.one(T.rolePolicy, "llmops-prod-external-secrets").inputs.policy);
    const read = policy.Statement.find((s: any) => s.Action.includes("secretsmanager:GetSecretValue"));
    expect(read.Resource).toHaveLength(prod.ofType(T.secret).length);
    expect(read.Action).not.toContain("secretsmanager:PutSecretValue");
  });
});

describe("aws Postgres: each Postgres user logs in with its IRSA role (RDS IAM database authentication)", () => {
  const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);

  it("the instance accepts IAM authentication tokens", () => {
    for (const plan of [prod, dev]) expect(plan.one(T.db).inputs.iamDatabaseAuthenticationEnabled).toBe(true);
  });

  it.each(USERS)(
    "%s: a role only its ServiceAccount assumes, allowed rds-db:connect as its own user of this instance only",
    (s) => {
      for (const plan of [prod, dev]) {
        const role = irsaRole(plan, { namespace: "llmops", name: s });
        const statement = trustOf(role).Statement[0];
        expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
        expect(Object.values(statement.Condition.StringEquals)).toEqual([
          `system:serviceaccount:llmops:${s}`,
          "sts.amazonaws.com",
        ]);
        const policies = plan.ofType(T.rolePolicy).filter((p) => p.inputs.role.startsWith(`${role.name}-`));
        expect(policies).toHaveLength(1);
        // arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>, the instance's resource id.
        expect(JSON.parse(policies[0]!.inputs.policy).Statement).toEqual([
          {
            Effect: "Allow",
            Action: ["rds-db:connect"],
            Resource: [
              expect.stringMatching(
                new RegExp(
                  `^arn:aws:rds-db:us-east-1:123456789012:dbuser:db-[0-9A-F]{26}/${postgresRole(s)}$`,
                ),
              ),
            ],
          },
        ]);
      }
    },
  );

  it("one IRSA role per Postgres user, none for the admin login or the monitoring login (passwords)", () => {
    const connecting = prod
      .ofType(T.rolePolicy)
      .filter((p) => p.inputs.policy.includes("rds-db:connect"))
      .map((p) => JSON.parse(p.inputs.policy).Statement[0].Resource[0].split("/").pop());
    expect(connecting.sort()).toEqual(USERS.map(postgresRole).sort());
  });
});

describe("aws DNS zone", () => {
  it("is the zone cert-manager solves DNS-01 challenges in (route53 solver, ambient IRSA credentials)", () => {
    const issuer = prod.objects("ClusterIssuer", "letsencrypt-prod")[0];
    const dns01 = issuer.spec.acme.solvers.find((s: any) => s.dns01).dns01;
    expect(dns01).toEqual({
      route53: { region: "us-east-1", hostedZoneID: expect.stringMatching(/^Z[0-9A-F]{20}$/) },
    });
  });

  it("hosts config.domain; prod keeps its records on destroy", () => {
    expect(prod.one(T.zone).inputs).toMatchObject({ name: "llm.example.com", forceDestroy: false });
    expect(dev.one(T.zone).inputs).toMatchObject({ name: "dev.llm.example.com", forceDestroy: true });
  });
});

describe("aws secret store: Secrets Manager under a customer key", () => {
  it("stores Postgres, each LLM provider key, alerting, client and admin keys, Grafana's OIDC client secret", () => {
    expect(prod.ofType(T.secret).map((s) => s.inputs.name)).toEqual([
      "llmops-prod-postgres",
      "llmops-prod-llm-openai",
      "llmops-prod-llm-anthropic",
      "llmops-prod-alerting",
      "llmops-prod-client-api-keys",
      "llmops-prod-admin-api-keys",
      "llmops-prod-grafana-oidc",
    ]);
  });

  it("encrypts every entry with the stack's rotating data key, not aws/secretsmanager", () => {
    const dataKey = prod.one(T.key, "llmops-prod-data");
    expect(dataKey.inputs.enableKeyRotation).toBe(true);
    for (const s of prod.ofType(T.secret)) expect(s.inputs.kmsKeyId).toMatch(/:llmops-prod-data$/);
    expect(prod.ofType(T.secret)[0]!.inputs.recoveryWindowInDays).toBe(30);
    expect(dev.ofType(T.secret)[0]!.inputs.recoveryWindowInDays).toBe(0);
  });

  it("writes every value as a secret", () => {
    for (const v of prod.ofType(T.secretVersion)) expect(isSecret(v.inputs.secretString), v.name).toBe(true);
  });
});

describe("aws ClusterSecretStore", () => {
  it("reads Secrets Manager in the stack's region with the controller's IRSA identity (no static keys)", () => {
    expect(prod.objects("ClusterSecretStore")[0].spec.provider).toEqual({
      aws: { service: "SecretsManager", region: "us-east-1" },
    });
  });
});

describe("aws Postgres", () => {
  it("prod: private, encrypted with the data key, Multi-AZ, 14 days of backups, deletion protected", () => {
    expect(prod.one(T.db).inputs).toMatchObject({
      engine: "postgres",
      engineVersion: "16",
      instanceClass: "db.r7g.large",
      allocatedStorage: 200,
      publiclyAccessible: false,
      storageEncrypted: true,
      kmsKeyId: expect.stringMatching(/:llmops-prod-data$/),
      multiAz: true,
      backupRetentionPeriod: 14,
      deletionProtection: true,
      skipFinalSnapshot: false,
    });
    expect(isSecret(prod.one(T.db).inputs.password)).toBe(true);
  });

  it("dev: small single-AZ instance, still private, encrypted and backed up 7 days", () => {
    expect(dev.one(T.db).inputs).toMatchObject({
      instanceClass: "db.t4g.small",
      publiclyAccessible: false,
      storageEncrypted: true,
      multiAz: false,
      backupRetentionPeriod: 7,
      deletionProtection: false,
    });
  });

  it("admits only the private subnets on 5432 and forces TLS", () => {
    expect(prod.one(T.dbFirewall).inputs.ingress).toEqual([
      expect.objectContaining({
        fromPort: 5432,
        toPort: 5432,
        cidrBlocks: ["10.50.0.0/19", "10.50.32.0/19", "10.50.64.0/19"],
      }),
    ]);
    expect(prod.one(T.dbParameters).inputs.parameters).toContainEqual({ name: "rds.force_ssl", value: "1" });
  });

  it("cluster-autoscaler: IRSA for its ServiceAccount; writes only to this cluster's node groups", () => {
    expect(irsaRole(prod, { namespace: "kube-system", name: "cluster-autoscaler" }).name).toBe(
      "llmops-prod-cluster-autoscaler",
    );
    const [read, write] = JSON.parse(
      prod.one(T.rolePolicy, "llmops-prod-cluster-autoscaler").inputs.policy,
    ).Statement;
    expect(read.Action).toContain("autoscaling:DescribeAutoScalingGroups");
    expect(read.Action).toContain("eks:DescribeNodegroup");
    expect(
      read.Action.some(
        (a: string) => a.startsWith("autoscaling:Set") || a.startsWith("autoscaling:Terminate"),
      ),
    ).toBe(false);
    expect(write).toEqual({
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      // EKS tags each managed node group's Auto Scaling group with this.
      Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/llmops-prod": "owned" } },
    });
  });

  it("pins the server certificate's CA to the one whose root the services trust", () => {
    expect(prod.one(T.db).inputs.caCertIdentifier).toBe("rds-ca-rsa2048-g1");
  });
});

describe("aws log storage", () => {
  it("prod: private, KMS-encrypted, TLS-only buckets for Loki chunks and ruler; dev: none", () => {
    expect(byName(prod, T.bucket, "-loki-")).toHaveLength(2);
    for (const e of prod.ofType(T.bucketEncryption)) {
      expect(e.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    }
    for (const b of prod.ofType(T.bucketPublicAccess)) {
      expect(b.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        restrictPublicBuckets: true,
      });
    }
    // Every bucket of the stack (Loki's two, Tempo's, Velero's) refuses plain HTTP.
    expect(prod.ofType("aws:s3/bucketPolicy:BucketPolicy")).toHaveLength(prod.ofType(T.bucket).length);
    for (const p of prod.ofType("aws:s3/bucketPolicy:BucketPolicy")) {
      const [deny] = JSON.parse(p.inputs.policy).Statement;
      expect(deny).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    }
    expect(dev.ofType(T.bucket)).toHaveLength(0);
  });
});

describe("aws backup storage (Velero)", () => {
  const velero = (plan: Plan) => byName(plan, T.bucket, "-velero");

  it("prod: one private, versioned, KMS-encrypted, TLS-only bucket with a lifecycle past the backup TTL; dev: none", () => {
    expect(velero(prod)).toHaveLength(1);
    const name = velero(prod)[0]!.name;
    const of = (type: string) => prod.ofType(type).find((r) => r.name === name)!;
    expect(of(T.bucketEncryption).inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe(
      "aws:kms",
    );
    expect(of(T.bucketPublicAccess).inputs).toMatchObject({
      blockPublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(of("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).toEqual({
      status: "Enabled",
    });
    const [rule] = of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
    // 30 days of backups (prod default) plus a week of grace.
    expect(rule.expiration.days).toBe(37);
    const [deny] = JSON.parse(of("aws:s3/bucketPolicy:BucketPolicy").inputs.policy).Statement;
    expect(deny.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(velero(dev)).toHaveLength(0);
  });

  it("prod: Velero's ServiceAccount writes objects of that bucket only, through IRSA (no snapshot or EC2 rights)", () => {
    const role = irsaRole(prod, SERVICE_ACCOUNTS.velero);
    const policy = prod.ofType(T.rolePolicy).find((p) => p.name === role.name)!;
    const statements = JSON.parse(policy.inputs.policy).Statement;
    const actions = statements.flatMap((s: any) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:ListBucket"]));
    expect(actions.some((a: string) => a.startsWith("ec2:"))).toBe(false);
  });
});

describe("aws kubeconfig reaches the kubernetes Provider", () => {
  // Its contents (exec plugin, server and CA from the cluster outputs) are checked in cloud-outputs.test.ts.
  it("receives the kubeconfig as a secret, once the EKS addons exist", () => {
    const provider = kubernetesProvider(prod);
    for (const r of prod.ofType("aws:eks/addon:Addon")) expect(provider.dependsOn).toContain(r.urn);
  });

  it("is the provider of every Kubernetes resource the platform and apps declare", () => {
    const provider = kubernetesProvider(prod);
    const k8s = prod.inventory.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(0);
    for (const r of k8s) expect(r.provider, r.urn).toBe(provider.urn);
  });
});

describe("aws: the policy pack's view", () => {
  it("prod: no finding on any cloud resource", () => {
    expect(cloudFindings(prod)).toEqual([]);
  });

  it("dev: the cheaper shape shows only as advisory availability findings", () => {
    const findings = cloudFindings(dev);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.enforcement, f.rule).toBe("advisory");
      expect(["postgres-ha"]).toContain(f.rule);
    }
  });
});
