/**
 * Customer-managed KMS keys, one per purpose so a key's grants stay narrow: the cluster key wraps
 * Kubernetes Secrets in etcd; the data key encrypts Secrets Manager entries, Postgres and log buckets.
 */
import * as kms from "@pulumi/aws/kms/index.js";
import type { CloudContext } from "../context.ts";

export interface AwsKeys {
  cluster: kms.Key;
  data: kms.Key;
}

export function awsKeys(ctx: CloudContext): AwsKeys {
  const key = (purpose: string, description: string) => {
    const k = new kms.Key(
      `${ctx.base}-${purpose}`,
      {
        description,
        enableKeyRotation: true,
        deletionWindowInDays: ctx.profile.keyDeletionWindowDays,
        tags: ctx.tags,
      },
      ctx.opts,
    );
    new kms.Alias(
      `${ctx.base}-${purpose}`,
      { name: `alias/${ctx.base}-${purpose}`, targetKeyId: k.keyId },
      ctx.opts,
    );
    return k;
  };
  return {
    cluster: key("cluster", `${ctx.base}: EKS envelope encryption of Kubernetes Secrets`),
    data: key("data", `${ctx.base}: Secrets Manager, RDS and log storage`),
  };
}
