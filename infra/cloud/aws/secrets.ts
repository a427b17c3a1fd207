/**
 * Secrets Manager entries of the catalogue, encrypted with the stack's customer-managed data key,
 * and the external-secrets identity that may read exactly these entries.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import * as secretsmanager from "@pulumi/aws/secretsmanager/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import type { SecretEntry } from "../secrets.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";

export interface AwsSecretStore {
  secrets: secretsmanager.Secret[];
  externalSecrets: WorkloadIdentity;
  /** ClusterSecretStore spec.provider: the controller's own IRSA identity, no static keys. */
  provider: pulumi.Output<Record<string, unknown>>;
}

export function awsSecretStore(
  ctx: CloudContext,
  irsa: AwsIrsa,
  key: kms.Key,
  entries: SecretEntry[],
): AwsSecretStore {
  const { base, tags, opts, profile, config } = ctx;
  const secrets = entries.map((entry) => {
    const secret = new secretsmanager.Secret(
      `${base}-${entry.id}`,
      {
        name: entry.key,
        description: entry.description,
        kmsKeyId: key.arn,
        // Dev/review stacks recreate names immediately; prod keeps deleted secrets recoverable.
        recoveryWindowInDays: profile.deletionProtection ? 30 : 0,
        tags,
      },
      opts,
    );
    new secretsmanager.SecretVersion(
      `${base}-${entry.id}`,
      { secretId: secret.id, secretString: entry.value },
      opts,
    );
    return secret;
  });

  const externalSecrets = irsaIdentity(ctx, irsa, "external-secrets", SERVICE_ACCOUNTS.externalSecrets, [
    {
      Effect: "Allow",
      Action: [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:ListSecretVersionIds",
      ],
      Resource: secrets.map((s) => s.arn),
    },
    { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key.arn] },
  ]);

  return {
    secrets,
    externalSecrets,
    provider: asValues({ aws: { service: "SecretsManager", region: config.region } }),
  };
}
