/**
 * Secret Manager entries of the catalogue, replicated in the stack's region only and encrypted with
 * the stack's customer-managed key; external-secrets may access exactly these entries.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as secretmanager from "@pulumi/gcp/secretmanager/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { after, type CloudContext } from "../context.ts";
import type { SecretEntry } from "../secrets.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { gcpWorkloadIdentity } from "./identity.ts";
import type { GcpKeys } from "./kms.ts";

export interface GcpSecretStore {
  secrets: secretmanager.Secret[];
  externalSecrets: WorkloadIdentity;
  provider: pulumi.Output<Values>;
}

export function gcpSecretStore(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  keys: GcpKeys,
  entries: SecretEntry[],
): GcpSecretStore {
  const { base, tags, opts, config, profile } = ctx;
  const secrets = entries.map((entry) => {
    const secret = new secretmanager.Secret(
      `${base}-${entry.id}`,
      {
        secretId: entry.key,
        project,
        replication: {
          userManaged: {
            replicas: [{ location: config.region, customerManagedEncryption: { kmsKeyName: keys.data.id } }],
          },
        },
        annotations: { description: entry.description },
        deletionProtection: profile.deletionProtection,
        labels: tags,
      },
      after(ctx, ...keys.grants.data),
    );
    new secretmanager.SecretVersion(
      `${base}-${entry.id}`,
      { secret: secret.id, secretData: entry.value },
      opts,
    );
    return secret;
  });

  const eso = gcpWorkloadIdentity(ctx, project, cluster, "eso", SERVICE_ACCOUNTS.externalSecrets);
  for (const [i, secret] of secrets.entries()) {
    new secretmanager.SecretIamMember(
      `${base}-eso-${entries[i]!.id}`,
      {
        project,
        secretId: secret.secretId,
        role: "roles/secretmanager.secretAccessor",
        member: eso.account.member,
      },
      opts,
    );
  }
  // No auth block: the controller's own ServiceAccount carries the Workload Identity annotation.
  return { secrets, externalSecrets: eso.identity, provider: asValues({ gcpsm: { projectID: project } }) };
}
