/**
 * RDS for PostgreSQL in the private subnets: no public address, KMS-encrypted storage, TLS forced,
 * point-in-time backups; prod adds a Multi-AZ standby, deletion protection and a final snapshot.
 */
import * as ec2 from "@pulumi/aws/ec2/index.js";
import type * as kms from "@pulumi/aws/kms/index.js";
import * as rds from "@pulumi/aws/rds/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import type { DatabaseLogin, DatabaseLoginRequest } from "../types.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";
import { partition } from "./partition.ts";
import { POSTGRES_DATABASE, POSTGRES_PORT, POSTGRES_USER } from "../secrets.ts";
import { POSTGRES_TIERS } from "../sizes.ts";
import type { AwsNetwork } from "./network.ts";
import { RDS_CA_IDENTIFIER } from "./postgres-ca.ts";

export function awsPostgres(
  ctx: CloudContext,
  network: AwsNetwork,
  key: kms.Key,
  password: pulumi.Output<string>,
): rds.Instance {
  const { base, tags, opts, config, profile } = ctx;
  const version = config.postgres.version;

  const subnets = new rds.SubnetGroup(
    `${base}-postgres`,
    { subnetIds: network.privateSubnets.map((s) => s.id), tags },
    opts,
  );
  const firewall = new ec2.SecurityGroup(
    `${base}-postgres`,
    {
      vpcId: network.vpc.id,
      description: "Postgres: only from the private (node and pod) subnets",
      ingress: [
        { protocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, cidrBlocks: network.privateCidrs },
      ],
      tags,
    },
    opts,
  );
  const parameters = new rds.ParameterGroup(
    `${base}-postgres`,
    {
      family: `postgres${version}`,
      parameters: [
        { name: "rds.force_ssl", value: "1" },
        // Statements slower than 1 s land in the exported postgresql log.
        { name: "log_min_duration_statement", value: "1000" },
      ],
      tags,
    },
    opts,
  );

  return new rds.Instance(
    `${base}-postgres`,
    {
      identifier: `${base}-postgres`,
      engine: "postgres",
      engineVersion: version,
      instanceClass: POSTGRES_TIERS.aws[config.environment],
      allocatedStorage: profile.postgresStorageGb,
      // Storage autoscaling up to 4x before anyone has to be paged about a full disk.
      maxAllocatedStorage: profile.postgresStorageGb * 4,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: key.arn,
      dbName: POSTGRES_DATABASE,
      username: POSTGRES_USER,
      password,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [firewall.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      multiAz: profile.highAvailability,
      backupRetentionPeriod: profile.backupRetentionDays,
      deletionProtection: profile.deletionProtection,
      skipFinalSnapshot: !profile.deletionProtection,
      finalSnapshotIdentifier: profile.deletionProtection ? `${base}-postgres-final` : undefined,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      // IAM database authentication: the services' logins (awsPostgresLogins).
      iamDatabaseAuthenticationEnabled: true,
      // Pinned, so the CA bundle the services trust (postgres-ca.ts) is the one that signed the server.
      caCertIdentifier: RDS_CA_IDENTIFIER,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      performanceInsightsEnabled: profile.highAvailability,
      performanceInsightsKmsKeyId: profile.highAvailability ? key.arn : undefined,
      tags,
    },
    opts,
  );
}

/**
 * One IAM database login per request (the instance's iamDatabaseAuthenticationEnabled): an IRSA role
 * its Kubernetes ServiceAccount assumes, allowed rds-db:connect as exactly its own Postgres user of
 * this instance (arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>). The
 * client's password is a 15-minute token it signs with that role (region: clientEnv); the roles Job
 * grants the role rds_iam, which makes RDS accept the token and nothing else for it.
 */
export function awsPostgresLogins(
  ctx: CloudContext,
  irsa: AwsIrsa,
  instance: rds.Instance,
  requests: readonly DatabaseLoginRequest[],
): Record<string, DatabaseLogin> {
  const region = ctx.config.region;
  // The instance's own ARN carries the account (arn:<partition>:rds:<region>:<account>:db:<id>).
  const account = instance.arn.apply((arn) => arn.split(":")[4]!);
  return Object.fromEntries(
    requests.map((request) => {
      const dbUser = pulumi.interpolate`arn:${partition(region)}:rds-db:${region}:${account}:dbuser:${instance.resourceId}/${request.role}`;
      const identity = irsaIdentity(ctx, irsa, `db-${request.id}`, request.serviceAccount, [
        { Effect: "Allow", Action: ["rds-db:connect"], Resource: [dbUser] },
      ]);
      return [request.id, { user: pulumi.output(request.role), identity }];
    }),
  );
}
